-- Plays per song and hour: a catalog song by its id, a song no catalog entry matched by the title and artist the event gives.
CREATE OR REPLACE VIEW plays_by_song AS
WITH named_plays AS (
    SELECT
        DATE_TRUNC('hour', plays.start_time) AS played_hour,
        plays.song_id,
        COALESCE(songs.title, plays.song_title) AS song_title,
        plays.artist_id,
        COALESCE(artists.name, plays.artist_name) AS artist_name,
        plays.user_id
    FROM songplays AS plays
    LEFT JOIN songs ON songs.song_id = plays.song_id
    LEFT JOIN artists ON artists.artist_id = plays.artist_id
)

SELECT
    played_hour,
    song_id,
    song_title,
    artist_id,
    artist_name,
    CASE WHEN song_id IS NOT NULL THEN TRUE ELSE FALSE END AS in_catalog,
    COUNT(*) AS plays,
    COUNT(DISTINCT user_id) AS listeners
FROM named_plays
GROUP BY played_hour, song_id, song_title, artist_id, artist_name;
