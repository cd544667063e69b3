-- Observed: keys the run wrote that the table holds more than once, the rows already there included (expected 0).
-- The table is looked up by those keys, never scanned whole.
SELECT COUNT(*) AS observed
FROM (
    SELECT target.{{ column }}
    FROM {{ table }} AS target
    WHERE target.{{ column }} IN (
        SELECT written.{{ column }}
        FROM {{ written }} AS written
    )
    GROUP BY target.{{ column }}
    HAVING COUNT(*) > 1
) AS duplicated_keys;
