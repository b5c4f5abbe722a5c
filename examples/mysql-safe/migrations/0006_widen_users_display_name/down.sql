SET SESSION lock_wait_timeout = 5;

-- Shrinking is a table copy (writes blocked while it runs), and it fails if a
-- display name longer than 40 characters has been stored since.
ALTER TABLE users
    MODIFY COLUMN display_name VARCHAR(40) NULL;
