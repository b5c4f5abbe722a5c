CREATE TABLE accounts (
    id          INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name        VARCHAR(255) NOT NULL,
    created_at  DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE users (
    id          INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    account_id  INT NOT NULL,
    email       VARCHAR(191) NULL,
    fname       VARCHAR(100) NULL,
    lname       VARCHAR(100) NULL,
    created_at  DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    KEY idx_users_account (account_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE orders (
    id          INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    account_id  INT NOT NULL,
    user_id     INT NULL,
    total       DECIMAL(10,2) NOT NULL,
    is_paid     TINYINT(1) NOT NULL DEFAULT 0,
    created_at  DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    KEY idx_orders_account (account_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE invoices (
    id          INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    order_id    INT NOT NULL,
    number      VARCHAR(32) NOT NULL,
    amount      DECIMAL(10,2) NOT NULL,
    due_date    DATE NULL,
    issued_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    KEY idx_invoices_order (order_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- written on every successful login, read by the security page
CREATE TABLE login_events (
    id          BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id     INT NOT NULL,
    ip          VARCHAR(45) NULL,
    created_at  DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    KEY idx_login_events_user (user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
