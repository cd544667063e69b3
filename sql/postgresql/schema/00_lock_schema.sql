-- Runs racing on a new database would create the same tables and views at once: they take turns until commit.
SELECT pg_advisory_xact_lock(hashtext('sparkify-schema'));
