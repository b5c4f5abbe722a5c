ALTER TABLE invoices DROP COLUMN due_on;
ALTER TABLE invoices DROP CONSTRAINT invoices_order_id_fkey;
