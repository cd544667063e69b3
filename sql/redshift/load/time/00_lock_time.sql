-- Runs for different windows upsert this dimension at once: the lock makes them take turns until
-- commit instead of one failing with a serializable isolation violation.
LOCK time;
