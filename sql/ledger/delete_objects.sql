-- An object loaded again for the same window replaces its ledger row: one row per object and window.
DELETE FROM loaded_objects
WHERE feed = :feed
  AND window_start = :window_start
  AND window_end = :window_end
  AND source_object IN :objects;
