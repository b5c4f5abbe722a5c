SET SESSION lock_wait_timeout = 5;

-- Appending a nullable column is an instant metadata change. If the server ever
-- cannot do it instantly, ALGORITHM=INSTANT makes it fail right away instead of
-- silently copying the table.
ALTER TABLE orders
    ADD COLUMN shipped_at DATETIME(6) NULL,
    ALGORITHM=INSTANT;
