-- Observed: rows the run wrote whose reference has no row in the parent table (expected 0), looked up by key.
-- NULLs are not references.
SELECT COUNT(*) AS observed
FROM {{ written }} AS child
WHERE child.{{ column }} IS NOT NULL
  AND NOT EXISTS (
      SELECT 1
      FROM {{ parent_table }} AS parent
      WHERE parent.{{ parent_column }} = child.{{ column }}
  );
