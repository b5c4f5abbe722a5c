SET lock_timeout = '2s';

-- NOT VALID: enforced for every new or updated row from now on, but existing rows
-- are not checked, so this only needs a brief lock on orders and users.
-- Existing rows are checked by 0007 without blocking writes.
ALTER TABLE orders
    ADD CONSTRAINT orders_placed_by_user_id_fkey
    FOREIGN KEY (placed_by_user_id) REFERENCES users (id) ON DELETE SET NULL
    NOT VALID;
