-- The event log lines as DuckDB reads them, each with whether it is loadable: the rules of
-- sparkify/records.py, checked natively. Lines are read whole (no delimiter nor quote ever matches) so a
-- bad one costs only itself; a line that is not UTF-8 is skipped into event_line_errors; blank lines are
-- no records. ts and userId are kept as JSON text, so "12" is told from 12 as Python tells them apart.
-- (The other numbers are cast as DuckDB casts: "12" becomes 12 here where records.py rejects it; checking
-- them as text too doubled the staging time.)
CREATE OR REPLACE TEMPORARY MACRO event_lines(files) AS TABLE
SELECT
    filename,
    event,
    event IS NOT NULL
    AND COALESCE(
        regexp_full_match(CAST(event.ts AS VARCHAR), '[0-9]{1,15}')
        AND TRY_CAST(CAST(event.ts AS VARCHAR) AS BIGINT) <= 253402300799999,
        FALSE
    )
    AND (event."userId" IS NULL OR regexp_full_match(CAST(event."userId" AS VARCHAR), '"[ \t]*([0-9]{1,9})?[ \t]*"'))
    AS loadable
FROM (
    SELECT
        filename,
        line,
        try(json_transform_strict(line, '{
            "artist": "VARCHAR", "auth": "VARCHAR", "firstName": "VARCHAR", "gender": "VARCHAR",
            "itemInSession": "INTEGER", "lastName": "VARCHAR", "length": "DOUBLE", "level": "VARCHAR",
            "location": "VARCHAR", "method": "VARCHAR", "page": "VARCHAR", "registration": "DOUBLE",
            "sessionId": "INTEGER", "song": "VARCHAR", "status": "INTEGER", "ts": "JSON",
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
        filename = TRUE,
        ignore_errors = TRUE,
        store_rejects = TRUE,
        rejects_table = 'event_line_errors',
        rejects_scan = 'event_line_scans'
    )
)
-- blank lines are no records; testing only the lines that did not parse keeps the test off the hot path
WHERE event IS NOT NULL OR NOT regexp_full_match(line, '[ \t\r]*');
