-- Release 2.0.0: reads email_norm, writes both columns (1.0.0 still reads email).

-- name: read
-- params: id
SELECT id, email_norm, name FROM accounts WHERE id = $1;

-- name: update
-- params: email, email_norm, id
UPDATE accounts SET email = $1, email_norm = $2, updated_at = CURRENT_TIMESTAMP WHERE id = $3;

-- name: insert
-- params: id, email, email_norm, name
INSERT INTO accounts (id, email, email_norm, name, updated_at)
VALUES ($1, $2, $3, $4, CURRENT_TIMESTAMP);
