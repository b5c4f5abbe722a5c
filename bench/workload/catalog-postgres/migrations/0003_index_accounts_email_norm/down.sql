-- bellows: no-transaction
DROP INDEX CONCURRENTLY accounts_email_norm_key;
