-- The dunning job looks for unpaid invoices every five minutes and it is
-- seq-scanning invoices. Build the index concurrently so invoices stay writable,
-- and keep it in a transaction so a failure does not leave anything half done.
BEGIN;

CREATE INDEX CONCURRENTLY invoices_unpaid_idx
    ON invoices (issued_at)
    WHERE paid_at IS NULL;

COMMIT;
