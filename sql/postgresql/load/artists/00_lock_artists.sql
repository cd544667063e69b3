-- Runs for different windows upsert this dimension at once: under READ COMMITTED two delete+insert
-- upserts would both insert the same keys. The lock makes them take turns until commit; readers go on.
LOCK TABLE artists IN SHARE ROW EXCLUSIVE MODE;
