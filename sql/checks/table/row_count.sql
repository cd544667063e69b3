-- Observed: the table's row count.
SELECT COUNT(*) AS observed
FROM {{ table }};
