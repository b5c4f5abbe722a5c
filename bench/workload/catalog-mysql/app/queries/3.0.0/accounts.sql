-- Release 3.0.0: email_norm only.

-- name: read
-- params: id
SELECT id, email_norm, name FROM accounts WHERE id = ?;

-- name: update
-- params: email_norm, id
UPDATE accounts SET email_norm = ?, updated_at = CURRENT_TIMESTAMP(6) WHERE id = ?;

-- name: insert
-- params: id, email_norm, name
INSERT INTO accounts (id, email_norm, name, updated_at) VALUES (?, ?, ?, CURRENT_TIMESTAMP(6));
