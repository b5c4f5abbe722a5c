-- bellows: no-transaction
SET lock_timeout = '2s';

-- Index the referencing column before the foreign key exists, so that deleting a
-- user does not scan orders. CONCURRENTLY keeps orders writable during the build.
-- If the build fails (lock timeout, cancel) it leaves an INVALID index behind:
-- run down.sql, then apply again.
CREATE INDEX CONCURRENTLY orders_placed_by_user_id_idx ON orders (placed_by_user_id);
