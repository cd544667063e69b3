-- The records of each object of one feed this run rejected: what the ledger says it rejected.
SELECT source_object, COUNT(*) AS rejected
FROM rejected_records
WHERE run_key = :run_key
  AND feed = :feed
GROUP BY source_object;
