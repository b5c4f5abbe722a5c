ALTER TABLE orders ADD COLUMN total numeric(10,2);
UPDATE orders SET total = total_cents / 100.0;
ALTER TABLE orders ALTER COLUMN total SET NOT NULL;
ALTER TABLE orders DROP COLUMN total_cents;
