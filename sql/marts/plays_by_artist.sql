-- Plays per artist and hour: a catalog artist by its id (also for unmatched plays naming only them), another by name.
CREATE OR REPLACE VIEW plays_by_artist AS
WITH unambiguous_names AS (
    -- a name the catalog gives one artist only: a play of a song it lacks, logged under that name, is theirs
    SELECT
        name,
        MIN(artist_id) AS artist_id
    FROM artists
    GROUP BY name
    HAVING COUNT(*) = 1
),

named_plays AS (
    SELECT
        DATE_TRUNC('hour', plays.start_time) AS played_hour,
        COALESCE(plays.artist_id, unambiguous_names.artist_id) AS artist_id,
        COALESCE(artists.name, plays.artist_name) AS artist_name,
        plays.user_id
    FROM songplays AS plays
    LEFT JOIN artists ON artists.artist_id = plays.artist_id
    LEFT JOIN unambiguous_names
        ON plays.artist_id IS NULL
        AND unambiguous_names.name = plays.artist_name
)

SELECT
    played_hour,
    artist_id,
    artist_name,
    CASE WHEN artist_id IS NOT NULL THEN TRUE ELSE FALSE END AS in_catalog,
    COUNT(*) AS plays,
    COUNT(DISTINCT user_id) AS listeners
FROM named_plays
GROUP BY played_hour, artist_id, artist_name;
