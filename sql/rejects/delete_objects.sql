-- A run replaces the rejects of the objects it reads, as it replaces its window's facts: re-running the
-- same input never adds a second copy of a bad record.
DELETE FROM rejected_records
WHERE feed = :feed
  AND source_object IN :objects;
