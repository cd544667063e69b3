-- The CSV rows into the run's staging table: lower-cased column names, numbers from their text (known
-- to cast; an empty one is NULL), epoch milliseconds to TIMESTAMP (exact: below 2^53 microseconds).
INSERT INTO {{ staging_events }} (
    artist, auth, firstname, gender, iteminsession, lastname, length, level, location,
    method, page, registration, sessionid, song, status, ts, useragent, userid
)
SELECT
    "artist",
    "auth",
    "firstName",
    "gender",
    CAST(NULLIF("itemInSession", '') AS INTEGER),
    "lastName",
    CAST(NULLIF("length", '') AS DOUBLE PRECISION),
    "level",
    "location",
    "method",
    "page",
    CAST(NULLIF("registration", '') AS DOUBLE PRECISION),
    CAST(NULLIF("sessionId", '') AS INTEGER),
    "song",
    CAST(NULLIF("status", '') AS INTEGER),
    TIMESTAMP 'epoch' + CAST("ts" AS BIGINT) * INTERVAL '1 millisecond',
    "userAgent",
    "userId"
FROM csv_events;
