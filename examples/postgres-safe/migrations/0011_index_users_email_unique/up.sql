-- bellows: no-transaction
SET lock_timeout = '2s';

-- Built without blocking writes; 0012 turns it into a constraint. The build fails
-- (leaving an INVALID index) if two users share an email: dedupe first, then run
-- down.sql and apply again.
CREATE UNIQUE INDEX CONCURRENTLY users_email_unique_idx ON users (email);
