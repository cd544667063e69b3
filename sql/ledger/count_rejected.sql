-- The records of each object this run rejected (rejected_records, replaced per object at staging).
UPDATE loaded_objects
SET rows_rejected = rejects_per_object.rejected
FROM (
    SELECT
        source_object,
        COUNT(*) AS rejected
    FROM rejected_records
    WHERE run_key = :run_key
      AND feed = :feed
    GROUP BY source_object
) AS rejects_per_object
WHERE loaded_objects.source_object = rejects_per_object.source_object
  AND loaded_objects.run_key = :run_key
  AND loaded_objects.feed = :feed;
