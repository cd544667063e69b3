-- Observed: rows the run wrote whose column is NULL (expected 0).
SELECT COUNT(*) AS observed
FROM {{ written }}
WHERE {{ column }} IS NULL;
