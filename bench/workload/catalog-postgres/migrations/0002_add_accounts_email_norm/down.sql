DROP TRIGGER accounts_email_norm_fill ON accounts;
DROP FUNCTION accounts_email_norm_fill();
-- Fails if release 3.0.0 has written a row without email: it must be retired first.
ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;
ALTER TABLE accounts DROP COLUMN email_norm;
