-- CSV event logs (layout in sparkify/sources.py): a header row, then the JSON keys' values in the same
-- columns. Columns are declared so a file cannot change their types; an empty unquoted field is NULL
-- and "" the empty string, as in PostgreSQL's CSV format.
INSERT INTO {{ staging_events }} (
    artist, auth, firstname, gender, iteminsession, lastname, length, level, location,
    method, page, registration, sessionid, song, status, ts, useragent, userid
)
SELECT
    artist,
    auth,
    "firstName",
    gender,
    "itemInSession",
    "lastName",
    length,
    level,
    location,
    method,
    page,
    registration,
    "sessionId",
    song,
    status,
    epoch_ms(ts) AS ts,
    "userAgent",
    "userId"
FROM read_csv(
    :files,
    header = true,
    delim = ',',
    quote = '"',
    escape = '"',
    allow_quoted_nulls = false,
    columns = {
        'artist': 'VARCHAR', 'auth': 'VARCHAR', 'firstName': 'VARCHAR', 'gender': 'VARCHAR',
        'itemInSession': 'INTEGER', 'lastName': 'VARCHAR', 'length': 'DOUBLE', 'level': 'VARCHAR',
        'location': 'VARCHAR', 'method': 'VARCHAR', 'page': 'VARCHAR', 'registration': 'DOUBLE',
        'sessionId': 'INTEGER', 'song': 'VARCHAR', 'status': 'INTEGER', 'ts': 'BIGINT',
        'userAgent': 'VARCHAR', 'userId': 'VARCHAR'
    }
);
