-- "name" is confusing next to accounts.name; the new profile page calls it full name.
ALTER TABLE users RENAME COLUMN name TO full_name;
