-- name: find_user_by_email
SELECT u.id, u.account_id, u.display_name, u.email
FROM users AS u
WHERE u.email = $1;

-- name: create_user
INSERT INTO users (account_id, email, display_name) VALUES ($1, $2, $3)
RETURNING id, created_at;

-- name: orders_of_user
SELECT o.id, o.currency, o.created_at
FROM orders AS o
JOIN users AS u ON u.id = o.placed_by_user_id
WHERE u.id = $1
ORDER BY o.created_at DESC;
