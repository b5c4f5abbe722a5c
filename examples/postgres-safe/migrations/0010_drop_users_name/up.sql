SET lock_timeout = '2s';

-- Release 2.4 and later neither read nor write users.name. Do not apply while a
-- 2.3 instance is still running.
ALTER TABLE users DROP COLUMN name;
