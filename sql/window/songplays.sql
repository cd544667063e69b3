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

distinct_plays AS (
    SELECT
        ts,
        user_key,
        level,
        song,
        artist,
        length,
        sessionid,
        iteminsession,
        location,
        useragent
    FROM song_play_events
    WHERE delivery_number = 1
),

play_matches AS (
    SELECT
        plays.ts,
        plays.user_key,
        plays.level,
        plays.song,
        plays.artist,
        plays.length,
        plays.sessionid,
        plays.iteminsession,
        plays.location,
        plays.useragent,
        catalog.song_id,
        catalog.artist_id,
        -- duplicate catalog entries must not fan out the facts: a play keeps the entry with the lowest song_id
        ROW_NUMBER() OVER (
            PARTITION BY plays.user_key, plays.sessionid, plays.iteminsession
            ORDER BY catalog.song_id
        ) AS match_rank
    FROM distinct_plays AS plays
    -- each play looks its song up by (title, artist name, duration), an index's key on PostgreSQL: the cost follows
    -- the window, whatever the plan's estimate of the window's plays (a join to a ranked subquery of the catalog
    -- became a nested loop over both, 75 s for 160,000 plays)
    LEFT JOIN song_catalog AS catalog
        ON catalog.title = plays.song
        AND catalog.artist_name = plays.artist
        AND catalog.duration = plays.length
)

SELECT
    MD5(
        CAST(matches.sessionid AS VARCHAR) || '-'
        || CAST(matches.iteminsession AS VARCHAR) || '-'
        || COALESCE(matches.user_key, '')
    ) AS songplay_id,
    matches.ts AS start_time,
    CAST(matches.user_key AS INTEGER) AS user_id,
    matches.level,
    matches.song_id,
    matches.artist_id,
    matches.sessionid AS session_id,
    matches.location,
    matches.useragent AS user_agent,
    matches.song AS song_title,
    matches.artist AS artist_name,
    matches.length AS song_length
FROM play_matches AS matches
WHERE matches.match_rank = 1;
