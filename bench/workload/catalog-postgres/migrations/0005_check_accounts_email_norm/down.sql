ALTER TABLE accounts DROP CONSTRAINT accounts_email_norm_not_null;
