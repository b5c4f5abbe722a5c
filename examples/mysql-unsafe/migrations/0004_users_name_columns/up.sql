-- Match the field names the mobile app and the public API use.
ALTER TABLE users CHANGE fname first_name VARCHAR(100) NULL;
ALTER TABLE users CHANGE lname last_name VARCHAR(100) NULL;

-- Admin search wants a single column to match and sort on.
ALTER TABLE users
    ADD COLUMN full_name VARCHAR(201)
        GENERATED ALWAYS AS (CONCAT_WS(' ', first_name, last_name)) STORED;
ALTER TABLE users ADD INDEX idx_users_full_name (full_name);
