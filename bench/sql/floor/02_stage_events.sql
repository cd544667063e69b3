-- The event logs, read once into memory (the floor keeps no staging on disk), side by side with the catalog.
CREATE TABLE scratch.events AS
SELECT
    artist,
    firstname,
    gender,
    iteminsession,
    lastname,
    length,
    level,
    location,
    page,
    sessionid,
    song,
    epoch_ms(ts) AS ts,
    useragent,
    userid
FROM read_json(
    $events,
    format = 'newline_delimited',
    columns = {
        'artist': 'VARCHAR', 'auth': 'VARCHAR', 'firstName': 'VARCHAR', 'gender': 'VARCHAR',
        'itemInSession': 'INTEGER', 'lastName': 'VARCHAR', 'length': 'DOUBLE', 'level': 'VARCHAR',
        'location': 'VARCHAR', 'method': 'VARCHAR', 'page': 'VARCHAR', 'registration': 'DOUBLE',
        'sessionId': 'INTEGER', 'song': 'VARCHAR', 'status': 'INTEGER', 'ts': 'BIGINT',
        'userAgent': 'VARCHAR', 'userId': 'VARCHAR'
    }
);
