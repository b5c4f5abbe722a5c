-- bellows: no-transaction
SET lock_timeout = '2s';

DROP INDEX CONCURRENTLY orders_placed_by_user_id_idx;
