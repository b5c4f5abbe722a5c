-- Release 3.0.0: email_norm only.

-- name: read
-- params: id
SELECT id, email_norm, name FROM accounts WHERE id = $1;

-- name: update
-- params: email_norm, id
UPDATE accounts SET email_norm = $1, updated_at = CURRENT_TIMESTAMP WHERE id = $2;

-- name: insert
-- params: id, email_norm, name
INSERT INTO accounts (id, email_norm, name, updated_at) VALUES ($1, $2, $3, CURRENT_TIMESTAMP);
