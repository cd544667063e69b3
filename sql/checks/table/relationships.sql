-- Observed: rows of the whole table whose reference has no row in the parent table (expected 0). NULLs are not
-- references.
SELECT COUNT(*) AS observed
FROM {{ table }} AS child
WHERE child.{{ column }} IS NOT NULL
  AND NOT EXISTS (
      SELECT 1
      FROM {{ parent_table }} AS parent
      WHERE parent.{{ parent_column }} = child.{{ column }}
  );
