-- The files of one feed this run rejected whole: one reject each, with no line and no text (its object is
-- how it is recovered). Redshift's own rejects always have one of the two.
SELECT COUNT(*)
FROM rejected_records
WHERE run_key = :run_key
  AND feed = :feed
  AND line_number IS NULL
  AND raw_text IS NULL;
