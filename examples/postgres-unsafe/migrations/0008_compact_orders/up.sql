-- orders doubled in size after the total_cents migration rewrote every row.
-- Give the disk space back before the storage alert pages someone again.
VACUUM FULL orders;
