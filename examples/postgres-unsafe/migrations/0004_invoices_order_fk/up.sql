-- The sync job has been fixed, every invoice belongs to an order now.
ALTER TABLE invoices
    ADD CONSTRAINT invoices_order_id_fkey FOREIGN KEY (order_id) REFERENCES orders (id);

-- Finance wants a due date on every invoice (net 30 unless the contract says otherwise).
ALTER TABLE invoices ADD COLUMN due_on date NOT NULL;
