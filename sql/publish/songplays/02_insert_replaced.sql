-- The run's facts of one part it replaces.
INSERT INTO songplays (
    songplay_id, start_time, user_id, level, song_id, artist_id, session_id, location, user_agent,
    song_title, artist_name, song_length
)
SELECT
    songplay_id,
    start_time,
    user_id,
    level,
    song_id,
    artist_id,
    session_id,
    location,
    user_agent,
    song_title,
    artist_name,
    song_length
FROM {{ window_songplays }}
WHERE start_time >= :part_start
  AND start_time < :part_end;
