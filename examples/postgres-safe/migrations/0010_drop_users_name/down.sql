SET lock_timeout = '2s';

-- Brings the column back, empty: the values dropped by up.sql are gone.
-- display_name still holds them; copy them back with a batched update if needed.
ALTER TABLE users ADD COLUMN name text;
