-- Clear what the backfill wrote. A value equal to lower(trim(email)) is also what the
-- trigger and release 2.0.0 write, and the trigger writes it again on the next change.
UPDATE accounts
   SET email_norm = NULL
 WHERE id >= :batch_start
   AND id <  :batch_end
   AND email_norm IS NOT NULL
   AND email_norm = lower(trim(email));
