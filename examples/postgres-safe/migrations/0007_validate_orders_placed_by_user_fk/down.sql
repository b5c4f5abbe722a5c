SET lock_timeout = '2s';

-- There is no "unvalidate": put the constraint back exactly as 0006 left it.
ALTER TABLE orders DROP CONSTRAINT orders_placed_by_user_id_fkey;
ALTER TABLE orders
    ADD CONSTRAINT orders_placed_by_user_id_fkey
    FOREIGN KEY (placed_by_user_id) REFERENCES users (id) ON DELETE SET NULL
    NOT VALID;
