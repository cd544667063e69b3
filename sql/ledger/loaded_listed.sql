-- What the ledger holds for the objects a run listed (its window's and lookback's event files): looked up by
-- name, so that an hourly run reads the rows of its few files, not the ledger of every hour loaded so far.
SELECT source_object, object_identity, window_start, window_end
FROM loaded_objects
WHERE feed = :feed
  AND source_object IN :objects;
