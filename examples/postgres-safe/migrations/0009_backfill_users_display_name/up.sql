-- Runs once per batch of ids, [:batch_start, :batch_end), each batch in its own
-- transaction (see [backfill] in migration.toml). Rows written by release 2.3
-- already have display_name and are skipped, so a rerun is harmless.
UPDATE users
   SET display_name = name
 WHERE id >= :batch_start
   AND id <  :batch_end
   AND display_name IS NULL
   AND name IS NOT NULL;
