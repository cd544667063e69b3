-- Observed: facts of the run's window whose reference has no row in the parent table (expected 0).
-- NULLs are not references. Facts of other windows are left to the runs that load them: a run in
-- flight beside this one may have committed its facts and not yet its dimensions.
SELECT COUNT(*) AS observed
FROM {{ table }} AS child
WHERE child.{{ column }} IS NOT NULL
  AND child.start_time >= :window_start
  AND child.start_time < :window_end
  AND NOT EXISTS (
      SELECT 1
      FROM {{ parent_table }} AS parent
      WHERE parent.{{ parent_column }} = child.{{ column }}
  );
