SET lock_timeout = '2s';

ALTER TABLE orders
    DROP COLUMN customer_note,
    DROP COLUMN currency;
