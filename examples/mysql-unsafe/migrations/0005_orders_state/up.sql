-- Refunds need a third state, a boolean is not enough any more.
ALTER TABLE orders ADD COLUMN state VARCHAR(20) NOT NULL DEFAULT 'open';

UPDATE orders SET state = IF(is_paid = 1, 'paid', 'open');

ALTER TABLE orders DROP COLUMN is_paid;
