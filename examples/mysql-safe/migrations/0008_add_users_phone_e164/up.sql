SET SESSION lock_wait_timeout = 5;

-- Step 1 of replacing users.phone with a normalised E.164 number ("+14155550100").
-- Release 3.2 writes both columns and reads phone_e164 first; 0009 converts the
-- existing rows; 0010 drops phone once no release reads it.
ALTER TABLE users
    ADD COLUMN phone_e164 VARCHAR(16) NULL,
    ALGORITHM=INSTANT;
