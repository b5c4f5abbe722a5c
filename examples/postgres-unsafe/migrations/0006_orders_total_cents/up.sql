-- Keep money in integer cents like the payment provider does; the rounding
-- differences between numeric and the PDFs keep showing up in support tickets.
ALTER TABLE orders ADD COLUMN total_cents bigint;

UPDATE orders SET total_cents = round(total * 100);

ALTER TABLE orders ALTER COLUMN total_cents SET NOT NULL;

-- Nothing reads total any more after this release.
ALTER TABLE orders DROP COLUMN total;
