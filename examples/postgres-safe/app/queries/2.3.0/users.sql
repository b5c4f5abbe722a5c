-- name: find_user_by_email
-- Reads display_name, falling back to name for rows the backfill has not reached.
SELECT u.id, u.account_id, COALESCE(u.display_name, u.name) AS display_name, u.email
FROM users AS u
WHERE u.email = $1;

-- name: create_user (writes both columns while 2.2 may still read name)
INSERT INTO users (account_id, email, name, display_name) VALUES ($1, $2, $3, $3)
RETURNING id, created_at;
