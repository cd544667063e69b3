-- The window's ten most played songs, named as plays_by_song names them: a catalog song by its id, another by the
-- title and artist the app logged. It reads the window's facts and looks their songs and artists up by key.
WITH window_plays AS (
    SELECT
        song_id,
        artist_id,
        song_title,
        artist_name
    FROM songplays
    WHERE start_time >= :window_start
      AND start_time < :window_end
),

named_plays AS (
    SELECT
        plays.song_id,
        COALESCE(songs.title, plays.song_title) AS song_title,
        plays.artist_id,
        COALESCE(artists.name, plays.artist_name) AS artist_name
    FROM window_plays AS plays
    LEFT JOIN songs ON songs.song_id = plays.song_id
    LEFT JOIN artists ON artists.artist_id = plays.artist_id
)

SELECT
    song_title,
    artist_name,
    CASE WHEN song_id IS NOT NULL THEN TRUE ELSE FALSE END AS in_catalog,
    COUNT(*) AS plays
FROM named_plays
GROUP BY song_id, song_title, artist_id, artist_name
ORDER BY COUNT(*) DESC, song_title, artist_name
LIMIT 10;
