CREATE TABLE accounts (
    id          bigint       PRIMARY KEY,
    email       varchar(255) NOT NULL,
    name        varchar(100),
    updated_at  timestamp
);
