-- Step 1 of replacing accounts.email with email_norm = lower(trim(email)).
-- Metadata only: a nullable column without a default.
ALTER TABLE accounts ADD COLUMN email_norm varchar(255);

-- Release 3.0.0 writes email_norm only, so email must accept NULL before it runs.
-- Dropping NOT NULL is metadata only as well.
ALTER TABLE accounts ALTER COLUMN email DROP NOT NULL;

-- Release 1.0.0 keeps writing email only: fill email_norm for it. An UPDATE that leaves
-- email alone (the backfill, release 3.0.0) keeps the email_norm it sets.
CREATE FUNCTION accounts_email_norm_fill() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.email IS NOT NULL THEN
            NEW.email_norm := lower(trim(NEW.email));
        END IF;
    ELSIF NEW.email IS DISTINCT FROM OLD.email THEN
        NEW.email_norm := lower(trim(NEW.email));
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER accounts_email_norm_fill
    BEFORE INSERT OR UPDATE ON accounts
    FOR EACH ROW EXECUTE FUNCTION accounts_email_norm_fill();
