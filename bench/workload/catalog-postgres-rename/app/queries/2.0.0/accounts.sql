-- Release 2.0.0: knows full_name only.

-- name: read
-- params: id
SELECT id, email, full_name FROM accounts WHERE id = $1;

-- name: update
-- params: full_name, id
UPDATE accounts SET full_name = $1, updated_at = CURRENT_TIMESTAMP WHERE id = $2;

-- name: insert
-- params: id, email, full_name
INSERT INTO accounts (id, email, full_name, updated_at) VALUES ($1, $2, $3, CURRENT_TIMESTAMP);
