ALTER TABLE users DROP INDEX idx_users_full_name;
ALTER TABLE users DROP COLUMN full_name;
ALTER TABLE users CHANGE last_name lname VARCHAR(100) NULL;
ALTER TABLE users CHANGE first_name fname VARCHAR(100) NULL;
