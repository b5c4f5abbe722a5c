CREATE TABLE accounts (
    id          BIGINT       NOT NULL,
    email       VARCHAR(255) NOT NULL,
    name        VARCHAR(100) NULL,
    updated_at  DATETIME(6)  NULL,
    PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
