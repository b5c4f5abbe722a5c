ALTER TABLE invoices MODIFY due_date DATE NULL;
ALTER TABLE invoices DROP FOREIGN KEY fk_invoices_order;
