DROP INDEX users_uuid_idx;
ALTER TABLE users DROP COLUMN uuid;
