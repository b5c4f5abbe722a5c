-- The online build failed twice with "Duplicate entry" because signups kept coming
-- in while it ran. Lock the table and copy it so it goes through this time.
ALTER TABLE users
    ADD UNIQUE KEY uq_users_email (email),
    ALGORITHM=COPY, LOCK=EXCLUSIVE;
