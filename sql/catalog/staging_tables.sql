-- The staging tables in the warehouse's schema, any run's: a run sweeps those that crashed runs left behind.
SELECT table_name
FROM information_schema.tables
WHERE table_schema = CURRENT_SCHEMA()
  AND table_name LIKE 'staging%';
