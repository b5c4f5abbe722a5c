-- bellows: no-transaction
SET lock_timeout = '2s';

ALTER TABLE users DROP CONSTRAINT users_email_not_null;

-- Dropping the constraint drops its index too; rebuild the plain unique index that
-- 0011 left, without blocking writes.
ALTER TABLE users DROP CONSTRAINT users_email_key;
CREATE UNIQUE INDEX CONCURRENTLY users_email_unique_idx ON users (email);
