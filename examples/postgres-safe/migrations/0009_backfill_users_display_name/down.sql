-- Clear what the backfill copied, batch by batch. A value that still equals name
-- is indistinguishable from one release 2.3 wrote, and that release reads name as
-- its fallback, so clearing it loses nothing.
UPDATE users
   SET display_name = NULL
 WHERE id >= :batch_start
   AND id <  :batch_end
   AND display_name IS NOT NULL
   AND display_name = name;
