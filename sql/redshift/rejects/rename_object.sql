-- The load errors of an event log COPY read from a copy without its byte-order mark, named after the log
-- itself, as every other reject is.
UPDATE rejected_records
SET source_object = :source_object
WHERE run_key = :run_key
  AND feed = :feed
  AND source_object = :copy;
