SET lock_timeout = '2s';

-- One row per customer organisation. Everything else hangs off an account.
CREATE TABLE accounts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text        NOT NULL,
    plan        text        NOT NULL DEFAULT 'free',
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT accounts_plan_check CHECK (plan IN ('free', 'team', 'business'))
);
