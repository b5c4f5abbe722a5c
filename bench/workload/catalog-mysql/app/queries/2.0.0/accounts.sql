-- Release 2.0.0: reads email_norm, writes both columns (1.0.0 still reads email).

-- name: read
-- params: id
SELECT id, email_norm, name FROM accounts WHERE id = ?;

-- name: update
-- params: email, email_norm, id
UPDATE accounts SET email = ?, email_norm = ?, updated_at = CURRENT_TIMESTAMP(6) WHERE id = ?;

-- name: insert
-- params: id, email, email_norm, name
INSERT INTO accounts (id, email, email_norm, name, updated_at)
VALUES (?, ?, ?, ?, CURRENT_TIMESTAMP(6));
