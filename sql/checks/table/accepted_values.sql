-- Observed: rows whose column holds a value outside the accepted list (expected 0).
SELECT COUNT(*) AS observed
FROM {{ table }}
WHERE {{ column }} IS NOT NULL
  AND {{ column }} NOT IN :accepted_values;
