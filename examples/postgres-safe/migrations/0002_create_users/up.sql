SET lock_timeout = '2s';

-- email is nullable for now: users provisioned over SCIM can arrive without one.
-- It becomes NOT NULL in 0013 once the identity sync fills it in.
-- name is free text shown in the UI; it is replaced by display_name (0008-0010).
CREATE TABLE users (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id  bigint      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    email       text,
    name        text,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- The table is new and empty, so a plain CREATE INDEX is fine here.
CREATE INDEX users_account_id_idx ON users (account_id);
