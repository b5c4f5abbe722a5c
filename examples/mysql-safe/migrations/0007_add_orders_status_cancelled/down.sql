SET SESSION lock_wait_timeout = 5;

-- Removing a value is a table copy, and it fails once an order has been cancelled.
ALTER TABLE orders
    MODIFY COLUMN status ENUM('pending', 'paid', 'refunded') NOT NULL DEFAULT 'pending';
