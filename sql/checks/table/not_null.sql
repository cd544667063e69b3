-- Observed: rows whose column is NULL (expected 0).
SELECT COUNT(*) AS observed
FROM {{ table }}
WHERE {{ column }} IS NULL;
