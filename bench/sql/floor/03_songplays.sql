-- One fact per distinct NextSong event, matched on (title, artist, duration) to the lowest song_id.
INSERT INTO songplays
WITH plays AS (
    SELECT
        *,
        NULLIF(TRIM(userid), '') AS user_key,
        ROW_NUMBER() OVER (PARTITION BY userid, sessionid, iteminsession ORDER BY ts) AS delivery_number
    FROM scratch.events
    WHERE page = 'NextSong'
),

distinct_songs AS (
    SELECT song_id, artist_id, title, artist_name, duration
    FROM scratch.catalog
    QUALIFY ROW_NUMBER() OVER (PARTITION BY title, artist_name, duration ORDER BY song_id) = 1
)

SELECT
    MD5(
        CAST(plays.sessionid AS VARCHAR) || '-' || CAST(plays.iteminsession AS VARCHAR) || '-'
        || COALESCE(plays.user_key, '')
    ),
    plays.ts,
    CAST(plays.user_key AS INTEGER),
    plays.level,
    distinct_songs.song_id,
    distinct_songs.artist_id,
    plays.sessionid,
    plays.location,
    plays.useragent,
    plays.song,
    plays.artist,
    plays.length
FROM plays
LEFT JOIN distinct_songs
    ON distinct_songs.title = plays.song
    AND distinct_songs.artist_name = plays.artist
    AND distinct_songs.duration = plays.length
WHERE plays.delivery_number = 1;
