-- The event log lines as DuckDB reads them, each with whether it is loadable: the rules of
-- sparkify/records.py, checked natively. Lines are read whole (no delimiter nor quote ever matches) so a
-- bad one costs only itself; a line that is not UTF-8 is skipped into event_line_errors; blank lines are
-- no records. ts, userId and the numbers are kept as their JSON text, because DuckDB's JSON casts are
-- lenient where the rules are not ("12", true and 1.5 would all become an INTEGER): a number is typed
-- from its text, which a string, a boolean or an object never casts from; a whole number must also be
-- written without fraction or exponent. A string holding NUL (written \u0000) is refused, as
-- PostgreSQL's text cannot hold it; only lines with that escape pay for the test. A line over 1 MiB
-- (records.MAX_RECORD_BYTES) is refused too; the reader itself skips lines over 2 MB. ts must lie in
-- [lowest_ts, highest_ts] (records.MIN_TS and MAX_TS, bound by the caller), and a NextSong event must name its user.
-- file_compression is 'none', or 'gzip' for the files sparkify/records.py found gzip-compressed; the reader drops
-- a byte-order mark at a file's start, as the rules do.
CREATE OR REPLACE TEMPORARY MACRO event_lines(files, file_compression, lowest_ts, highest_ts) AS TABLE
SELECT
    filename,
    event,
    item_in_session,
    length,
    registration,
    session_id,
    status,
    event IS NOT NULL
    AND strlen(line) <= 1048576
    AND COALESCE(
        regexp_full_match(CAST(event.ts AS VARCHAR), '[0-9]{1,15}')
        AND TRY_CAST(CAST(event.ts AS VARCHAR) AS BIGINT) BETWEEN lowest_ts AND highest_ts,
        FALSE
    )
    AND (event."userId" IS NULL OR regexp_full_match(CAST(event."userId" AS VARCHAR), '"[ \t]*([0-9]{1,9})?[ \t]*"'))
    AND NOT COALESCE(
        event.page = 'NextSong'
        AND (event."userId" IS NULL OR regexp_full_match(CAST(event."userId" AS VARCHAR), '"[ \t]*"')),
        FALSE
    )
    AND (event."itemInSession" IS NULL OR (item_in_session IS NOT NULL AND NOT regexp_matches(CAST(event."itemInSession" AS VARCHAR), '[.eE]')))
    AND (event."sessionId" IS NULL OR (session_id IS NOT NULL AND NOT regexp_matches(CAST(event."sessionId" AS VARCHAR), '[.eE]')))
    AND (event.status IS NULL OR (status IS NOT NULL AND NOT regexp_matches(CAST(event.status AS VARCHAR), '[.eE]')))
    AND (event.length IS NULL OR (length IS NOT NULL AND isfinite(length)))
    AND (event.registration IS NULL OR (registration IS NOT NULL AND isfinite(registration)))
    AND CASE WHEN contains(line, '\u0000') THEN NOT contains(CAST(event AS VARCHAR), chr(0)) ELSE TRUE END
    AS loadable
FROM (
    SELECT
        filename,
        line,
        event,
        TRY_CAST(CAST(event."itemInSession" AS VARCHAR) AS INTEGER) AS item_in_session,
        TRY_CAST(CAST(event.length AS VARCHAR) AS DOUBLE) AS length,
        TRY_CAST(CAST(event.registration AS VARCHAR) AS DOUBLE) AS registration,
        TRY_CAST(CAST(event."sessionId" AS VARCHAR) AS INTEGER) AS session_id,
        TRY_CAST(CAST(event.status AS VARCHAR) AS INTEGER) AS status
    FROM (
        SELECT
            filename,
            line,
            try(json_transform_strict(line, '{
                "artist": "VARCHAR", "auth": "VARCHAR", "firstName": "VARCHAR", "gender": "VARCHAR",
                "itemInSession": "JSON", "lastName": "VARCHAR", "length": "JSON", "level": "VARCHAR",
                "location": "VARCHAR", "method": "VARCHAR", "page": "VARCHAR", "registration": "JSON",
                "sessionId": "JSON", "song": "VARCHAR", "status": "JSON", "ts": "JSON",
                "userAgent": "VARCHAR", "userId": "JSON"
            }')) AS event
        FROM read_csv(
            files,
            columns = {'line': 'VARCHAR'},
            delim = '\x1f',
            quote = '',
            escape = '',
            header = FALSE,
            auto_detect = FALSE,
            -- a line ends at a newline, whatever else it holds; a stray carriage return is no reason to fail
            new_line = '\n',
            strict_mode = FALSE,
            compression = file_compression,
            filename = TRUE,
            ignore_errors = TRUE,
            store_rejects = TRUE,
            rejects_table = 'event_line_errors',
            rejects_scan = 'event_line_scans'
        )
    )
    -- blank lines are no records; testing only the lines that did not parse keeps the test off the hot path
    WHERE event IS NOT NULL OR NOT regexp_full_match(line, '[ \t\r]*')
);
