-- The bad records one staging found, found by sparkify/records.py's rules.
INSERT INTO rejected_records (run_key, feed, source_object, line_number, reason, raw_text, rejected_at)
VALUES (:run_key, :feed, :source_object, :line_number, :reason, :raw_text, :rejected_at);
