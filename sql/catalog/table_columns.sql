-- The columns of the tables in the warehouse's schema: a table created before a column was declared lacks it.
SELECT table_name, column_name
FROM information_schema.columns
WHERE table_schema = CURRENT_SCHEMA();
