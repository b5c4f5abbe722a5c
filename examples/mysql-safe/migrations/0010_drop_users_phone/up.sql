SET SESSION lock_wait_timeout = 5;

-- Release 3.3 and later neither read nor write users.phone. Do not apply while a
-- 3.2 instance is still running.
-- INPLACE with LOCK=NONE works on every 8.0 release and keeps users writable; on
-- 8.0.29+ ALGORITHM=INSTANT would also skip the table rebuild.
ALTER TABLE users
    DROP COLUMN phone,
    ALGORITHM=INPLACE, LOCK=NONE;
