DROP INDEX invoices_unpaid_idx;
