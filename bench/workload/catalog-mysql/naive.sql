-- The migration most teams would write, run in one go (`mariadb db < naive.sql`).
-- MySQL and MariaDB commit each DDL statement on its own: there is no single transaction.
ALTER TABLE accounts ADD COLUMN email_norm VARCHAR(255) DEFAULT '';
UPDATE accounts SET email_norm = LOWER(TRIM(email));
CREATE UNIQUE INDEX accounts_email_norm_key ON accounts (email_norm);
ALTER TABLE accounts MODIFY COLUMN email_norm VARCHAR(255) NOT NULL;
ALTER TABLE accounts DROP COLUMN email;
