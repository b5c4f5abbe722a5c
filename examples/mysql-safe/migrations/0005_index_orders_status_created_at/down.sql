SET SESSION lock_wait_timeout = 5;

ALTER TABLE orders
    DROP INDEX idx_orders_status_created_at,
    ALGORITHM=INPLACE, LOCK=NONE;
