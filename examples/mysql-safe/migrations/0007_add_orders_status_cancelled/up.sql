SET SESSION lock_wait_timeout = 5;

-- New value appended at the end of the list: existing values keep their
-- internal numbers and the storage size stays one byte, so this is instant.
ALTER TABLE orders
    MODIFY COLUMN status ENUM('pending', 'paid', 'refunded', 'cancelled') NOT NULL DEFAULT 'pending',
    ALGORITHM=INSTANT;
