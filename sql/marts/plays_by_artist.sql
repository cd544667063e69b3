-- Plays per artist and hour: a catalog artist by its id, an artist no catalog entry matched by the name the event gives.
CREATE OR REPLACE VIEW plays_by_artist AS
WITH named_plays AS (
    SELECT
        DATE_TRUNC('hour', plays.start_time) AS played_hour,
        plays.artist_id,
        COALESCE(artists.name, plays.artist_name) AS artist_name,
        plays.user_id
    FROM songplays AS plays
    LEFT JOIN artists ON artists.artist_id = plays.artist_id
)

SELECT
    played_hour,
    artist_id,
    artist_name,
    artist_id IS NOT NULL AS in_catalog,
    COUNT(*) AS plays,
    COUNT(DISTINCT user_id) AS listeners
FROM named_plays
GROUP BY played_hour, artist_id, artist_name;
