SET lock_timeout = '2s';

-- Step 1 of renaming users.name to users.display_name.
-- Release 2.3 writes both columns and reads display_name, falling back to name;
-- 0009 copies the old rows, 0010 drops name once no release reads it any more.
ALTER TABLE users ADD COLUMN display_name text;
