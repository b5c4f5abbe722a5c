SET lock_timeout = '2s';

ALTER TABLE orders DROP CONSTRAINT orders_placed_by_user_id_fkey;
