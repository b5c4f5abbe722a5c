-- Rows still to do.
SELECT COUNT(*) FROM accounts WHERE email_norm IS NULL;
