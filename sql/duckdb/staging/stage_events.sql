-- DuckDB reads the day files itself: the columns are declared so a file cannot change their types.
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
FROM read_json(
    :files,
    format = 'newline_delimited',
    columns = {
        'artist': 'VARCHAR', 'auth': 'VARCHAR', 'firstName': 'VARCHAR', 'gender': 'VARCHAR',
        'itemInSession': 'INTEGER', 'lastName': 'VARCHAR', 'length': 'DOUBLE', 'level': 'VARCHAR',
        'location': 'VARCHAR', 'method': 'VARCHAR', 'page': 'VARCHAR', 'registration': 'DOUBLE',
        'sessionId': 'INTEGER', 'song': 'VARCHAR', 'status': 'INTEGER', 'ts': 'BIGINT',
        'userAgent': 'VARCHAR', 'userId': 'VARCHAR'
    }
);
