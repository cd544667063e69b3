-- The CSV rows into the run's staging table: lower-cased column names, epoch milliseconds to TIMESTAMP
-- (exact: the product stays below 2^53 microseconds).
INSERT INTO {{ staging_events }} (
    artist, auth, firstname, gender, iteminsession, lastname, length, level, location,
    method, page, registration, sessionid, song, status, ts, useragent, userid
)
SELECT
    "artist",
    "auth",
    "firstName",
    "gender",
    "itemInSession",
    "lastName",
    "length",
    "level",
    "location",
    "method",
    "page",
    "registration",
    "sessionId",
    "song",
    "status",
    TIMESTAMP 'epoch' + "ts" * INTERVAL '1 millisecond',
    "userAgent",
    "userId"
FROM csv_events;
