SET lock_timeout = '2s';

-- Both are metadata-only changes on PostgreSQL 11+: a nullable column, and a
-- NOT NULL column with a constant default (existing rows read the default,
-- nothing is rewritten). Releases that do not know the columns keep working.
ALTER TABLE orders
    ADD COLUMN currency text NOT NULL DEFAULT 'USD',
    ADD COLUMN customer_note text;
