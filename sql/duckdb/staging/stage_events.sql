-- Every non-blank line becomes a row; a line that is not loadable becomes a row without ts, which
-- staging/delete_unloadable_events removes (counting them) before the transaction commits: one pass
-- over the files stages the good events and tells whether there were bad ones. The numbers come
-- typed from staging/create_event_lines.
INSERT INTO {{ staging_events }} (
    artist, auth, firstname, gender, iteminsession, lastname, length, level, location,
    method, page, registration, sessionid, song, status, ts, useragent, userid
)
SELECT
    event.artist,
    event.auth,
    event."firstName",
    event.gender,
    item_in_session AS iteminsession,
    event."lastName",
    length,
    event.level,
    event.location,
    event.method,
    event.page,
    registration,
    session_id AS sessionid,
    event.song,
    status,
    CASE WHEN loadable THEN epoch_ms(CAST(CAST(event.ts AS VARCHAR) AS BIGINT)) END AS ts,
    event."userAgent",
    CASE WHEN loadable THEN event."userId" ->> '$' END AS userid
FROM event_lines(:files, :compression, :min_ts, :max_ts);
