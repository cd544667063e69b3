-- One fact per NextSong event of the window, into the run's own table: matched or not to a catalog song (its
-- winning entries, sql/load/catalog/); what the event names is kept, so that a song reaching the catalog later
-- matches it. Text is compared and kept as every engine compares it (Redshift's): trailing blanks are no part of a
-- value.
INSERT INTO {{ window_songplays }} (
    songplay_id, start_time, user_id, level, song_id, artist_id, session_id, location, user_agent,
    song_title, artist_name, song_length
)
WITH song_play_events AS (
    SELECT
        ts,
        NULLIF(TRIM(userid), '') AS user_key,
        RTRIM(level) AS level,
        RTRIM(song) AS song,
        RTRIM(artist) AS artist,
        length,
        sessionid,
        iteminsession,
        RTRIM(location) AS location,
        RTRIM(useragent) AS useragent,
        -- the same event delivered twice (overlapping files) is still one play
        ROW_NUMBER() OVER (
            PARTITION BY NULLIF(TRIM(userid), ''), sessionid, iteminsession
            ORDER BY ts
        ) AS delivery_number
    FROM {{ staging_events }}
    WHERE RTRIM(page) = 'NextSong'
      AND ts >= :window_start
      AND ts < :window_end
),

named_catalog_entries AS (
    SELECT
        catalog.song_id,
        catalog.artist_id,
        catalog.title,
        catalog.artist_name,
        catalog.duration,
        -- duplicate catalog entries must not fan out the facts: keep the lowest song_id
        ROW_NUMBER() OVER (
            PARTITION BY catalog.title, catalog.artist_name, catalog.duration
            ORDER BY catalog.song_id
        ) AS entry_rank
    FROM song_catalog AS catalog
    -- only the entries the window's plays name are ranked: the cost follows the window, not the catalog
    WHERE EXISTS (
        SELECT 1
        FROM song_play_events AS plays
        WHERE plays.song = catalog.title
          AND plays.artist = catalog.artist_name
          AND plays.length = catalog.duration
    )
),

distinct_catalog_songs AS (
    SELECT
        song_id,
        artist_id,
        title,
        artist_name,
        duration
    FROM named_catalog_entries
    WHERE entry_rank = 1
)

SELECT
    MD5(
        CAST(plays.sessionid AS VARCHAR) || '-'
        || CAST(plays.iteminsession AS VARCHAR) || '-'
        || COALESCE(plays.user_key, '')
    ) AS songplay_id,
    plays.ts AS start_time,
    CAST(plays.user_key AS INTEGER) AS user_id,
    plays.level,
    catalog.song_id,
    catalog.artist_id,
    plays.sessionid AS session_id,
    plays.location,
    plays.useragent AS user_agent,
    plays.song AS song_title,
    plays.artist AS artist_name,
    plays.length AS song_length
FROM song_play_events AS plays
LEFT JOIN distinct_catalog_songs AS catalog
    ON catalog.title = plays.song
    AND catalog.artist_name = plays.artist
    AND catalog.duration = plays.length
WHERE plays.delivery_number = 1;
