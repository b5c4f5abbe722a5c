-- Runs once per batch of ids, [:batch_start, :batch_end), each batch committed on
-- its own (see [backfill] in migration.toml). Only numbers typed in international
-- form ("+1 (415) 555-0100") can be converted without knowing the user's country;
-- the rest stay NULL and the app asks those users to confirm their number.
-- Rows already written by release 3.2 are skipped, so a rerun is harmless.
UPDATE users
   SET phone_e164 = CONCAT('+', REGEXP_REPLACE(phone, '[^0-9]', ''))
 WHERE id >= :batch_start
   AND id <  :batch_end
   AND phone_e164 IS NULL
   AND phone LIKE '+%'
   AND CHAR_LENGTH(REGEXP_REPLACE(phone, '[^0-9]', '')) BETWEEN 8 AND 15;
