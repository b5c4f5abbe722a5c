-- The migration most teams would write, run in one go (`psql -1 -f naive.sql`).
ALTER TABLE accounts ADD COLUMN email_norm varchar(255) DEFAULT '';
UPDATE accounts SET email_norm = lower(trim(email));
CREATE UNIQUE INDEX accounts_email_norm_key ON accounts (email_norm);
ALTER TABLE accounts ALTER COLUMN email_norm SET NOT NULL;
ALTER TABLE accounts DROP COLUMN email;
