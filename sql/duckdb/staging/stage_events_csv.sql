-- CSV event logs, once sparkify/records.py has screened them: the good records, one file, no header.
-- Every column is read as text, so an empty unquoted field is NULL and "" the empty string, as in
-- PostgreSQL's CSV format; the numbers in it are known to cast, an empty one is NULL.
INSERT INTO {{ staging_events }} (
    artist, auth, firstname, gender, iteminsession, lastname, length, level, location,
    method, page, registration, sessionid, song, status, ts, useragent, userid
)
SELECT
    artist,
    auth,
    "firstName",
    gender,
    CAST(NULLIF("itemInSession", '') AS INTEGER) AS iteminsession,
    "lastName",
    CAST(NULLIF(length, '') AS DOUBLE) AS length,
    level,
    location,
    method,
    page,
    CAST(NULLIF(registration, '') AS DOUBLE) AS registration,
    CAST(NULLIF("sessionId", '') AS INTEGER) AS sessionid,
    song,
    CAST(NULLIF(status, '') AS INTEGER) AS status,
    epoch_ms(CAST(ts AS BIGINT)) AS ts,
    "userAgent",
    "userId"
FROM read_csv(
    :file,
    header = false,
    delim = ',',
    quote = '"',
    escape = '"',
    allow_quoted_nulls = false,
    auto_detect = false,
    new_line = '\n',
    columns = {
        'artist': 'VARCHAR', 'auth': 'VARCHAR', 'firstName': 'VARCHAR', 'gender': 'VARCHAR',
        'itemInSession': 'VARCHAR', 'lastName': 'VARCHAR', 'length': 'VARCHAR', 'level': 'VARCHAR',
        'location': 'VARCHAR', 'method': 'VARCHAR', 'page': 'VARCHAR', 'registration': 'VARCHAR',
        'sessionId': 'VARCHAR', 'song': 'VARCHAR', 'status': 'VARCHAR', 'ts': 'VARCHAR',
        'userAgent': 'VARCHAR', 'userId': 'VARCHAR'
    }
);
