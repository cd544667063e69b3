-- The columns a table has in the warehouse's schema (none if it is not there): what finds the columns
-- declared after an existing warehouse's tables were created.
SELECT column_name
FROM information_schema.columns
WHERE table_schema = CURRENT_SCHEMA()
  AND table_name = :table_name;
