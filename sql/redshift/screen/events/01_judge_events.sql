-- The staged events the other engines reject by sparkify/records.py's rules and COPY let through, as far as SQL
-- can tell them: a userId that is no whole number (COPY loads any text into VARCHAR, and the loads' CAST would
-- fail the run), a ts outside epoch milliseconds before the year 10000, and a text longer than its column. The
-- staging columns are far wider than these widths, so what COPY's TRUNCATECOLUMNS cut is caught here.
UPDATE {{ staging_events }}
SET rejection = CASE
    WHEN userid !~ '^[ 	]*([0-9]{1,9})?[ 	]*$'  -- a literal pattern: spaces or TABs around
        THEN 'userId is not a whole number or blank: "' || LEFT(userid, 80) || '"'
    WHEN ts < TIMESTAMP '1970-01-01 00:00:00' OR ts > TIMESTAMP '9999-12-31 23:59:59.999'
        THEN 'ts is not epoch milliseconds before the year 10000: ' || CAST(ts AS VARCHAR)
    WHEN OCTET_LENGTH(artist) > 1024 THEN 'artist is longer than 1024 bytes'
    WHEN OCTET_LENGTH(auth) > 256 THEN 'auth is longer than 256 bytes'
    WHEN OCTET_LENGTH(firstname) > 256 THEN 'firstName is longer than 256 bytes'
    WHEN OCTET_LENGTH(gender) > 8 THEN 'gender is longer than 8 bytes'
    WHEN OCTET_LENGTH(lastname) > 256 THEN 'lastName is longer than 256 bytes'
    WHEN OCTET_LENGTH(level) > 8 THEN 'level is longer than 8 bytes'
    WHEN OCTET_LENGTH(location) > 256 THEN 'location is longer than 256 bytes'
    WHEN OCTET_LENGTH(method) > 8 THEN 'method is longer than 8 bytes'
    WHEN OCTET_LENGTH(page) > 256 THEN 'page is longer than 256 bytes'
    WHEN OCTET_LENGTH(song) > 1024 THEN 'song is longer than 1024 bytes'
    WHEN OCTET_LENGTH(useragent) > 1024 THEN 'userAgent is longer than 1024 bytes'
    WHEN OCTET_LENGTH(userid) > 16 THEN 'userId is longer than 16 bytes'
END;
