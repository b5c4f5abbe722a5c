-- InnoDB has no NOT VALID constraint to split the check from the lock: NULL -> NOT NULL
-- rebuilds the table. ALGORITHM=INPLACE, LOCK=NONE keeps it writable meanwhile (the
-- server logs concurrent changes and applies them at the end, under a brief exclusive
-- metadata lock) and makes the server refuse rather than copy the table.
ALTER TABLE accounts
    MODIFY COLUMN email_norm VARCHAR(255) NOT NULL,
    ALGORITHM=INPLACE, LOCK=NONE;
