-- Suspended users must not be able to log in: track it on the user.
ALTER TABLE users ADD COLUMN status varchar(20);

-- Everybody who exists today is active.
UPDATE users SET status = 'active';

ALTER TABLE users ALTER COLUMN status SET NOT NULL;
ALTER TABLE users ALTER COLUMN status SET DEFAULT 'active';

-- Signup already checks this in the app, let the database enforce it as well.
ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);
