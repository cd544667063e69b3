-- Observed: key values that occur more than once (expected 0).
SELECT COUNT(*) AS observed
FROM (
    SELECT {{ column }}
    FROM {{ table }}
    WHERE {{ column }} IS NOT NULL
    GROUP BY {{ column }}
    HAVING COUNT(*) > 1
) AS duplicated_keys;
