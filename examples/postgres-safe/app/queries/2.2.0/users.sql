-- name: find_user_by_email
SELECT u.id, u.account_id, u.name, u.email
FROM users AS u
WHERE u.email = $1;

-- name: create_user
INSERT INTO users (account_id, email, name) VALUES ($1, $2, $3)
RETURNING id, created_at;
