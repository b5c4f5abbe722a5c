-- Release 2.0.0: knows full_name only.

-- name: read
-- params: id
SELECT id, email, full_name FROM accounts WHERE id = ?;

-- name: update
-- params: full_name, id
UPDATE accounts SET full_name = ?, updated_at = CURRENT_TIMESTAMP(6) WHERE id = ?;

-- name: insert
-- params: id, email, full_name
INSERT INTO accounts (id, email, full_name, updated_at) VALUES (?, ?, ?, CURRENT_TIMESTAMP(6));
