-- The records the COPY just run skipped (MAXERROR), read back from Redshift's load error log into the
-- same report as the other engines' rejects. STL_LOAD_ERRORS keeps a line per bad record of a provisioned
-- cluster's COPY; pg_last_copy_id() is this session's last COPY (run just before, in its own transaction, and
-- failed or not). raw_line holds the first 1,024 bytes.
INSERT INTO rejected_records (run_key, feed, source_object, line_number, reason, raw_text, rejected_at)
SELECT
    :run_key,
    :feed,
    TRIM(errors.filename),
    CAST(errors.line_number AS INTEGER),
    TRIM(errors.colname) || ': ' || TRIM(errors.err_reason),
    TRIM(errors.raw_line),
    errors.starttime
FROM stl_load_errors AS errors
WHERE errors.query = pg_last_copy_id();
