-- The classic Sparkify ETL scripts' way: one INSERT per event, its values bound by the driver.
INSERT INTO {table} (
    artist, auth, firstname, gender, iteminsession, lastname, length, level, location,
    method, page, registration, sessionid, song, status, ts, useragent, userid
)
VALUES (
    %(artist)s, %(auth)s, %(firstName)s, %(gender)s, %(itemInSession)s, %(lastName)s, %(length)s,
    %(level)s, %(location)s, %(method)s, %(page)s, %(registration)s, %(sessionId)s, %(song)s,
    %(status)s, %(ts)s, %(userAgent)s, %(userId)s
);
