-- The records the COPY just run on the catalog's parts skipped (MAXERROR), read back rather than inserted as
-- rejects/copy_errors does: a part is the flow's own file, and sparkify/warehouse/redshift.py names each error by
-- the song file the part's line came from. The COPY is found as in rejects/copy_errors (SYS views, every kind of
-- cluster); the view keeps no raw line.
WITH this_copy AS (
    SELECT
        query_id,
        transaction_id
    FROM sys_load_history
    WHERE session_id = pg_backend_pid()
      AND start_time >= :copy_started_at
    ORDER BY start_time DESC
    LIMIT 1
)

SELECT
    TRIM(errors.file_name) AS part,
    CAST(errors.line_number AS INTEGER) AS line_number,
    COALESCE(TRIM(errors.column_name), '') || ': ' || COALESCE(TRIM(errors.error_message), 'load error') AS reason,
    NULL AS raw_text
FROM sys_load_error_detail AS errors
INNER JOIN this_copy
    ON
        errors.query_id = this_copy.query_id
        AND errors.transaction_id = this_copy.transaction_id;
