-- The records the COPY just run skipped (MAXERROR), read back into the same report as the other engines' rejects.
-- SYS_LOAD_ERROR_DETAIL holds them on provisioned clusters, concurrency-scaling clusters and Serverless alike (the
-- STL tables miss the second and lack the third). The COPY is this session's latest in SYS_LOAD_HISTORY since the
-- run started it (pg_backend_pid() is reused only by later sessions), matched on its query and transaction ids.
-- The view keeps no raw line: the object and line name the record, and raw_text stays empty.
INSERT INTO rejected_records (run_key, feed, source_object, line_number, reason, raw_text, rejected_at)
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
    :run_key,
    :feed,
    TRIM(errors.file_name),
    CAST(errors.line_number AS INTEGER),
    COALESCE(TRIM(errors.column_name), '') || ': ' || COALESCE(TRIM(errors.error_message), 'load error'),
    NULL,
    errors.start_time
FROM sys_load_error_detail AS errors
INNER JOIN this_copy
    ON
        errors.query_id = this_copy.query_id
        AND errors.transaction_id = this_copy.transaction_id;
