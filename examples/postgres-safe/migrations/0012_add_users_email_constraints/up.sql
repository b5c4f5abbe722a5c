SET lock_timeout = '2s';

-- Attaching the index built in 0011 is a catalog change: no index build under the
-- lock. The index is renamed to users_email_key.
ALTER TABLE users
    ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_unique_idx;

-- First half of making email NOT NULL: new rows must have an email, existing rows
-- are checked by 0013 without blocking writes.
ALTER TABLE users
    ADD CONSTRAINT users_email_not_null CHECK (email IS NOT NULL) NOT VALID;
