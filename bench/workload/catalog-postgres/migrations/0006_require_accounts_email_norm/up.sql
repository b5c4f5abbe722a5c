-- The scan happens here, under SHARE UPDATE EXCLUSIVE: reads and writes continue.
ALTER TABLE accounts VALIDATE CONSTRAINT accounts_email_norm_not_null;

-- With a valid CHECK (email_norm IS NOT NULL), PostgreSQL 12+ skips the full scan SET NOT
-- NULL would otherwise do under ACCESS EXCLUSIVE.
ALTER TABLE accounts ALTER COLUMN email_norm SET NOT NULL;

-- The column constraint now says the same; the check is redundant.
ALTER TABLE accounts DROP CONSTRAINT accounts_email_norm_not_null;
