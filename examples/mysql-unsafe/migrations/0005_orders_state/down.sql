ALTER TABLE orders ADD COLUMN is_paid TINYINT(1) NOT NULL DEFAULT 0 AFTER total;
UPDATE orders SET is_paid = (state = 'paid');
ALTER TABLE orders DROP COLUMN state;
