-- A song file holds one record: staged, unless it was rejected.
UPDATE loaded_objects
SET rows_staged = CASE WHEN rows_rejected > 0 THEN 0 ELSE 1 END
WHERE run_key = :run_key
  AND feed = :feed;
