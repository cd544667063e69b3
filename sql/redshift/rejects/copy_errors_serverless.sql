-- The records the COPY just run skipped (MAXERROR), read back on Redshift Serverless, which has no STL
-- tables: SYS_LOAD_ERROR_DETAIL keeps a line per bad record there. pg_last_copy_id() is documented for
-- STL_LOAD_ERRORS only, and SYS views number queries apart from STL's, so the COPY is found as this
-- session's latest in SYS_LOAD_HISTORY (session_id is pg_backend_pid()), matched on its query and
-- (unique) transaction ids. The view keeps no raw line: the error
-- message, which usually quotes the rejected value, is in the reason, and raw_text stays empty.
INSERT INTO rejected_records (run_key, feed, source_object, line_number, reason, raw_text, rejected_at)
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
    :run_key,
    :feed,
    TRIM(errors.file_name),
    CAST(errors.line_number AS INTEGER),
    TRIM(errors.column_name) || ': ' || TRIM(errors.error_message),
    NULL,
    errors.start_time
FROM sys_load_error_detail AS errors
INNER JOIN latest_copy
    ON
        errors.query_id = latest_copy.query_id
        AND errors.transaction_id = latest_copy.transaction_id;
