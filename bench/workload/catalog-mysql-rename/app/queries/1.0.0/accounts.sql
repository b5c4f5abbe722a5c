-- Release 1.0.0: knows name only. `-- params:` names what the harness binds to each ?.

-- name: read
-- params: id
SELECT id, email, name FROM accounts WHERE id = ?;

-- name: update
-- params: name, id
UPDATE accounts SET name = ?, updated_at = CURRENT_TIMESTAMP(6) WHERE id = ?;

-- name: insert
-- params: id, email, name
INSERT INTO accounts (id, email, name, updated_at) VALUES (?, ?, ?, CURRENT_TIMESTAMP(6));
