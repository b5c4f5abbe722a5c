CREATE TABLE accounts (
    id          serial PRIMARY KEY,
    name        varchar(255) NOT NULL,
    plan        varchar(50)  NOT NULL DEFAULT 'free',
    created_at  timestamp    NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id          serial PRIMARY KEY,
    account_id  integer      NOT NULL REFERENCES accounts (id),
    email       varchar(255),
    name        varchar(255),
    created_at  timestamp    NOT NULL DEFAULT now()
);

CREATE INDEX users_account_id_idx ON users (account_id);

CREATE TABLE orders (
    id          serial PRIMARY KEY,
    account_id  integer       NOT NULL REFERENCES accounts (id),
    user_id     integer       REFERENCES users (id),
    total       numeric(10,2) NOT NULL,
    status      varchar(20)   NOT NULL DEFAULT 'pending',
    created_at  timestamp     NOT NULL DEFAULT now()
);

CREATE INDEX orders_account_id_idx ON orders (account_id);

-- Invoices come in from the Stripe webhook; the sync job fills in order_id later.
CREATE TABLE invoices (
    id          serial PRIMARY KEY,
    order_id    integer,
    number      varchar(32)   NOT NULL,
    amount      numeric(10,2) NOT NULL,
    issued_at   timestamp     NOT NULL DEFAULT now(),
    paid_at     timestamp
);
