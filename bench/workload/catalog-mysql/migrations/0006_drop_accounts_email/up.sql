-- Only release 3.0.0 runs now: nothing reads or writes email any more.
DROP TRIGGER accounts_email_norm_update;
DROP TRIGGER accounts_email_norm_insert;
-- Instant on MariaDB 10.4+ and MySQL 8.0.29+; an older server refuses instead of
-- rebuilding the table.
ALTER TABLE accounts
    DROP COLUMN email,
    ALGORITHM=INSTANT;
