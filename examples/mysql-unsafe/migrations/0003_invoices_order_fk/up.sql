-- We found invoices pointing at orders that no longer exist. Stop that from happening again.
ALTER TABLE invoices
    ADD CONSTRAINT fk_invoices_order FOREIGN KEY (order_id) REFERENCES orders (id);

-- Finance: every invoice needs a due date (net 30). The billing job sets it now.
ALTER TABLE invoices MODIFY due_date DATE NOT NULL;
