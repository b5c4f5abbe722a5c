-- Only release 3.0.0 runs now: nothing reads or writes email any more.
DROP TRIGGER accounts_email_norm_fill ON accounts;
DROP FUNCTION accounts_email_norm_fill();
ALTER TABLE accounts DROP COLUMN email;
