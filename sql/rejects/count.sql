-- The records of one feed this run rejected.
SELECT COUNT(*)
FROM rejected_records
WHERE run_key = :run_key
  AND feed = :feed;
