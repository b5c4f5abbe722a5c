SET lock_timeout = '2s';

-- The scan happens here, under SHARE UPDATE EXCLUSIVE (reads and writes continue).
ALTER TABLE users VALIDATE CONSTRAINT users_email_not_null;

-- PostgreSQL 12+ sees the valid CHECK (email IS NOT NULL) and skips the full-table
-- scan SET NOT NULL would otherwise do under ACCESS EXCLUSIVE.
ALTER TABLE users ALTER COLUMN email SET NOT NULL;

-- The column constraint now says the same thing; the check is redundant.
ALTER TABLE users DROP CONSTRAINT users_email_not_null;
