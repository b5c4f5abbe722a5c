-- Release 1.0.0: knows name only. `-- params:` names what the harness binds to $1, $2, …

-- name: read
-- params: id
SELECT id, email, name FROM accounts WHERE id = $1;

-- name: update
-- params: name, id
UPDATE accounts SET name = $1, updated_at = CURRENT_TIMESTAMP WHERE id = $2;

-- name: insert
-- params: id, email, name
INSERT INTO accounts (id, email, name, updated_at) VALUES ($1, $2, $3, CURRENT_TIMESTAMP);
