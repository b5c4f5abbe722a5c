-- bellows: no-transaction
-- Built while the table stays writable. The column is still mostly NULL, and NULLs do
-- not collide, so the build is cheap; every value the backfill writes is checked.
CREATE UNIQUE INDEX CONCURRENTLY accounts_email_norm_key ON accounts (email_norm);
