SET SESSION lock_wait_timeout = 5;

-- Instant from MySQL 8.0.29 (MariaDB 10.4); older servers refuse rather than copy.
ALTER TABLE users
    DROP COLUMN phone_e164,
    ALGORITHM=INSTANT;
