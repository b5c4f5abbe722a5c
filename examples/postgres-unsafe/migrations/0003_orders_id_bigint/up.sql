-- orders_id_seq went past 1.6 billion last week and int4 stops at 2,147,483,647.
-- Move the key, its sequence and the column pointing at it to bigint before we
-- run out.
ALTER SEQUENCE orders_id_seq AS bigint;
ALTER TABLE orders ALTER COLUMN id TYPE bigint;
ALTER TABLE invoices ALTER COLUMN order_id TYPE bigint;
