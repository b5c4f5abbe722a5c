SET SESSION lock_wait_timeout = 5;

CREATE TABLE orders (
    id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    account_id   BIGINT UNSIGNED NOT NULL,
    user_id      BIGINT UNSIGNED NULL,
    status       ENUM('pending', 'paid', 'refunded') NOT NULL DEFAULT 'pending',
    total_cents  BIGINT          NOT NULL,
    currency     CHAR(3)         NOT NULL DEFAULT 'USD',
    created_at   DATETIME(6)     NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (id),
    KEY idx_orders_account_id (account_id),
    KEY idx_orders_user_id (user_id),
    CONSTRAINT fk_orders_account FOREIGN KEY (account_id) REFERENCES accounts (id),
    CONSTRAINT fk_orders_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
