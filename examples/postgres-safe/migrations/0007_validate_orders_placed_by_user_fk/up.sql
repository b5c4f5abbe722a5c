SET lock_timeout = '2s';

-- Scans orders under SHARE UPDATE EXCLUSIVE: reads and writes carry on meanwhile.
-- Run only after the legacy-import cleanup job has nulled the dangling references.
ALTER TABLE orders VALIDATE CONSTRAINT orders_placed_by_user_id_fkey;
