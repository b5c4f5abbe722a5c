SET SESSION lock_wait_timeout = 5;

-- phone is whatever the user typed at signup ("+1 (415) 555-0100", "0151 2345678").
-- It is replaced by a normalised phone_e164 column in 0008-0010.
CREATE TABLE users (
    id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    account_id    BIGINT UNSIGNED NOT NULL,
    email         VARCHAR(191)    NOT NULL,
    display_name  VARCHAR(40)     NULL,
    phone         VARCHAR(32)     NULL,
    created_at    DATETIME(6)     NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (id),
    UNIQUE KEY uq_users_email (email),
    KEY idx_users_account_id (account_id),
    CONSTRAINT fk_users_account FOREIGN KEY (account_id) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
