-- The staged events the other engines reject by sparkify/records.py's rules and COPY let through, as far as SQL
-- can tell them, in the rules' order and with their reasons (bound from sparkify/records.py, as are the bounds):
-- a null or missing ts, a ts outside [ts_first, ts_end) (a ts in seconds becomes a 1970 time through COPY's
-- epochmillisecs), a userId that is no whole number (COPY loads any text into VARCHAR, and the loads' CAST would
-- fail the run), a NextSong event without a userId (COPY's BLANKSASNULL makes a blank one NULL), and a text
-- longer than its column. The staging columns are far wider than these widths, so what COPY's TRUNCATECOLUMNS
-- cut is caught here. The ts in a reason is its epoch milliseconds again, as the log wrote it: whole days since
-- 1970 (a DATE minus a DATE is a number of days) plus the time of day, from TO_CHAR, which Redshift and
-- PostgreSQL format alike.
UPDATE {{ staging_events }}
SET rejection = CASE
    WHEN ts IS NULL THEN :ts_null
    WHEN ts < :ts_first OR ts >= :ts_end
        THEN :ts_reason || ': ' || CAST(
            (CAST(ts AS DATE) - DATE '1970-01-01') * CAST(86400000 AS BIGINT)
            + CAST(TO_CHAR(ts, 'HH24') AS BIGINT) * 3600000
            + CAST(TO_CHAR(ts, 'MI') AS BIGINT) * 60000
            + CAST(TO_CHAR(ts, 'SS') AS BIGINT) * 1000
            + CAST(TO_CHAR(ts, 'MS') AS BIGINT)
            AS VARCHAR
        )
    WHEN userid !~ '^[ 	]*([0-9]{1,9})?[ 	]*$'  -- a literal pattern: spaces or TABs around
        THEN 'userId is not a whole number or blank: "' || LEFT(userid, 80) || '"'
    WHEN page = 'NextSong' AND (userid IS NULL OR userid ~ '^[ 	]*$') THEN :play_without_user
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
