ALTER TABLE accounts ALTER COLUMN email_norm DROP NOT NULL;
ALTER TABLE accounts
    ADD CONSTRAINT accounts_email_norm_not_null CHECK (email_norm IS NOT NULL) NOT VALID;
