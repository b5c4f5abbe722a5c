-- One batch of ids, [:batch_start, :batch_end), per short transaction. Rows the trigger
-- or release 2.0.0 already filled are skipped, so a rerun is harmless.
UPDATE accounts
   SET email_norm = lower(trim(email))
 WHERE id >= :batch_start
   AND id <  :batch_end
   AND email_norm IS NULL;
