-- Rows still to do.
SELECT count(*) FROM accounts WHERE email_norm IS NULL;
