-- The staging tables in the warehouse's schema, any run's: a run sweeps those that crashed runs left behind.
-- The pattern is bound: a percent sign written here would reach Redshift doubled (SQLAlchemy escapes it for the driver,
-- which leaves quoted text alone).
SELECT table_name
FROM information_schema.tables
WHERE table_schema = CURRENT_SCHEMA()
  AND table_name LIKE :pattern;
