-- The records of one feed this run rejected; a file rejected whole (no line, no text) is counted apart
-- (rejects/count_files).
SELECT COUNT(*)
FROM rejected_records
WHERE run_key = :run_key
  AND feed = :feed
  AND (line_number IS NOT NULL OR raw_text IS NOT NULL);
