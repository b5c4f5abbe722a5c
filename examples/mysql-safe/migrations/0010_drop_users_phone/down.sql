SET SESSION lock_wait_timeout = 5;

-- Brings the column back in its old position, empty: the values dropped by up.sql
-- are gone (phone_e164 still has the normalised form).
ALTER TABLE users
    ADD COLUMN phone VARCHAR(32) NULL AFTER display_name,
    ALGORITHM=INPLACE, LOCK=NONE;
