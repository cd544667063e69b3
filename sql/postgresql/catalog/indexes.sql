-- The indexes in the warehouse's schema: only a missing one is created (CREATE INDEX takes a lock that would make
-- every run wait for the others' writes, even when the index exists).
SELECT indexname
FROM pg_indexes
WHERE schemaname = CURRENT_SCHEMA();
