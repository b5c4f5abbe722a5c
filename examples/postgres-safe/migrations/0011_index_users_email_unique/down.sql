-- bellows: no-transaction
SET lock_timeout = '2s';

DROP INDEX CONCURRENTLY users_email_unique_idx;
