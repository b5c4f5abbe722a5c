SET lock_timeout = '2s';

-- placed_by_user_id deliberately has no foreign key yet: orders imported from the
-- legacy shop point at users that were hard-deleted over there. The constraint is
-- added NOT VALID in 0006 and validated in 0007, after the import is cleaned up.
CREATE TABLE orders (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id         bigint      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    placed_by_user_id  bigint,
    number             text        NOT NULL,
    status             text        NOT NULL DEFAULT 'pending',
    total_cents        bigint      NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT orders_account_id_number_key UNIQUE (account_id, number),
    CONSTRAINT orders_status_check CHECK (status IN ('pending', 'paid', 'refunded', 'cancelled')),
    CONSTRAINT orders_total_cents_check CHECK (total_cents >= 0)
);

CREATE INDEX orders_account_id_created_at_idx ON orders (account_id, created_at);
