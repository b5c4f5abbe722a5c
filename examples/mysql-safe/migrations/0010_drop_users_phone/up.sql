SET SESSION lock_wait_timeout = 5;

-- Release 3.3 and later neither read nor write users.phone. Do not apply while a
-- 3.2 instance is still running.
-- MySQL 8.0.29+ and MariaDB 10.4+ drop a column instantly, without rebuilding the
-- table; an older server refuses the statement instead of rebuilding it.
ALTER TABLE users
    DROP COLUMN phone,
    ALGORITHM=INSTANT;
