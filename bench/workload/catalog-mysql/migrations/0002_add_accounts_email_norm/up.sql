-- Step 1 of replacing accounts.email with email_norm = LOWER(TRIM(email)).
-- A nullable column is an instant metadata change.
ALTER TABLE accounts
    ADD COLUMN email_norm VARCHAR(255) NULL,
    ALGORITHM=INSTANT;

-- Release 3.0.0 writes email_norm only, so email must accept NULL before it runs.
-- InnoDB rebuilds the table for this (about a second per million rows here), in place
-- and with the table writable throughout; LOCK=NONE makes the server refuse otherwise.
ALTER TABLE accounts
    MODIFY COLUMN email VARCHAR(255) NULL,
    ALGORITHM=INPLACE, LOCK=NONE;

-- Release 1.0.0 keeps writing email only: fill email_norm for it. An UPDATE that leaves
-- email alone (the backfill, release 3.0.0) keeps the email_norm it sets.
CREATE TRIGGER accounts_email_norm_insert BEFORE INSERT ON accounts FOR EACH ROW
    SET NEW.email_norm = IF(NEW.email IS NULL, NEW.email_norm, LOWER(TRIM(NEW.email)));

CREATE TRIGGER accounts_email_norm_update BEFORE UPDATE ON accounts FOR EACH ROW
    SET NEW.email_norm = IF(NEW.email <=> OLD.email, NEW.email_norm, LOWER(TRIM(NEW.email)));
