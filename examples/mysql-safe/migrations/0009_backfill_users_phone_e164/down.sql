-- Clear what the backfill wrote, batch by batch. A value equal to the converted
-- phone is indistinguishable from one release 3.2 wrote, and that release falls
-- back to phone, so clearing it loses nothing.
UPDATE users
   SET phone_e164 = NULL
 WHERE id >= :batch_start
   AND id <  :batch_end
   AND phone_e164 IS NOT NULL
   AND phone_e164 = CONCAT('+', REGEXP_REPLACE(phone, '[^0-9]', ''));
