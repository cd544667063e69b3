-- The records the COPY just run on the catalog's parts skipped (MAXERROR), read back on Redshift Serverless,
-- which has no STL tables (see rejects/copy_errors_serverless: the COPY is this session's latest in
-- SYS_LOAD_HISTORY). sparkify/warehouse/redshift.py names each error by the song file its part's line came from.
-- The view keeps no raw line.
WITH latest_copy AS (
    SELECT
        query_id,
        transaction_id
    FROM sys_load_history
    WHERE session_id = pg_backend_pid()
    ORDER BY start_time DESC
    LIMIT 1
)

SELECT
    TRIM(errors.file_name) AS part,
    CAST(errors.line_number AS INTEGER) AS line_number,
    TRIM(errors.column_name) || ': ' || TRIM(errors.error_message) AS reason,
    NULL AS raw_text
FROM sys_load_error_detail AS errors
INNER JOIN latest_copy
    ON
        errors.query_id = latest_copy.query_id
        AND errors.transaction_id = latest_copy.transaction_id;
