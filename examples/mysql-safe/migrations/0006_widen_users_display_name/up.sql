SET SESSION lock_wait_timeout = 5;

-- 40 characters is too short for a lot of real names. In utf8mb4 (4 bytes per
-- character) VARCHAR(40) is at most 160 bytes and VARCHAR(60) at most 240: both
-- fit a one-byte length prefix, so this is a metadata-only change.
-- The rest of the column definition is repeated unchanged.
ALTER TABLE users
    MODIFY COLUMN display_name VARCHAR(60) NULL,
    ALGORITHM=INPLACE, LOCK=NONE;
