-- Built in place while the table stays writable; LOCK=NONE makes the server refuse
-- rather than block writes. NULLs do not collide, so the mostly empty column is no
-- problem; every value the backfill writes is checked.
CREATE UNIQUE INDEX accounts_email_norm_key ON accounts (email_norm)
    ALGORITHM=INPLACE LOCK=NONE;
