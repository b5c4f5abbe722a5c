-- NOT VALID: checked for every new or changed row from now on, existing rows are not
-- scanned, so the lock is brief. 0006 checks the existing rows without blocking.
ALTER TABLE accounts
    ADD CONSTRAINT accounts_email_norm_not_null CHECK (email_norm IS NOT NULL) NOT VALID;
