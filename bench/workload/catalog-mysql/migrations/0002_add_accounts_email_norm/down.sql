DROP TRIGGER accounts_email_norm_update;
DROP TRIGGER accounts_email_norm_insert;
-- Fails if release 3.0.0 has written a row without email: it must be retired first.
ALTER TABLE accounts
    MODIFY COLUMN email VARCHAR(255) NOT NULL,
    ALGORITHM=INPLACE, LOCK=NONE;
ALTER TABLE accounts
    DROP COLUMN email_norm,
    ALGORITHM=INSTANT;
