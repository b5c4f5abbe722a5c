-- Public API v2 identifies users by uuid instead of leaking the serial id.
-- Default fills in the existing users too, so no separate script is needed.
ALTER TABLE users ADD COLUMN uuid uuid DEFAULT gen_random_uuid();

-- API lookups are by uuid
CREATE UNIQUE INDEX users_uuid_idx ON users (uuid);
