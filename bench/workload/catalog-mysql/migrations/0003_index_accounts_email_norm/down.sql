ALTER TABLE accounts
    DROP INDEX accounts_email_norm_key,
    ALGORITHM=INPLACE, LOCK=NONE;
