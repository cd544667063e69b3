-- The events copied: every non-empty line.
SELECT COUNT(*) FROM {table} WHERE line <> '';
