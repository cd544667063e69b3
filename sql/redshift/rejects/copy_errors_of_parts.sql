-- The records the COPY just run on the catalog's parts skipped (MAXERROR), read back rather than inserted as
-- rejects/copy_errors does: a part is the flow's own file, and sparkify/warehouse/redshift.py names each error
-- by the song file the part's line came from. STL_LOAD_ERRORS keeps a line per bad record of a provisioned
-- cluster's COPY; pg_last_copy_id() is this session's last COPY (run just before, failed or not).
SELECT
    TRIM(errors.filename) AS part,
    CAST(errors.line_number AS INTEGER) AS line_number,
    TRIM(errors.colname) || ': ' || TRIM(errors.err_reason) AS reason,
    TRIM(errors.raw_line) AS raw_text
FROM stl_load_errors AS errors
WHERE errors.query = pg_last_copy_id();
