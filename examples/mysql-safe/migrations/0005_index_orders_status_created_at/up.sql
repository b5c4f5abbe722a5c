SET SESSION lock_wait_timeout = 5;

-- For the "pending orders, oldest first" dashboard. Built in place while orders
-- stays readable and writable; LOCK=NONE makes the server refuse instead of
-- taking a stronger lock.
ALTER TABLE orders
    ADD INDEX idx_orders_status_created_at (status, created_at),
    ALGORITHM=INPLACE, LOCK=NONE;
