-- Runs that start together on an empty warehouse take turns creating the tables: two concurrent
-- CREATE TABLE IF NOT EXISTS of one table can both miss it and one fail on PostgreSQL's own catalog.
-- A transaction-scoped advisory lock, released at commit.
SELECT pg_advisory_xact_lock(hashtext('sparkify create-tables'));
