-- The window's ten most played artists, counted as plays_by_artist counts them: a play no catalog song matched still
-- counts for the catalog artist when the catalog gives its name to one artist only. It reads the window's facts and
-- looks artists up by id and by the names those plays give.
WITH window_plays AS (
    SELECT
        artist_id,
        artist_name
    FROM songplays
    WHERE start_time >= :window_start
      AND start_time < :window_end
),

unambiguous_names AS (
    SELECT
        name,
        MIN(artist_id) AS artist_id
    FROM artists
    WHERE name IN (
        SELECT artist_name
        FROM window_plays
        WHERE artist_id IS NULL
    )
    GROUP BY name
    HAVING COUNT(*) = 1
),

named_plays AS (
    SELECT
        COALESCE(plays.artist_id, unambiguous_names.artist_id) AS artist_id,
        COALESCE(artists.name, plays.artist_name) AS artist_name
    FROM window_plays AS plays
    LEFT JOIN artists ON artists.artist_id = plays.artist_id
    LEFT JOIN unambiguous_names
        ON plays.artist_id IS NULL
        AND unambiguous_names.name = plays.artist_name
)

SELECT
    artist_name,
    CASE WHEN artist_id IS NOT NULL THEN TRUE ELSE FALSE END AS in_catalog,
    COUNT(*) AS plays
FROM named_plays
GROUP BY artist_id, artist_name
ORDER BY COUNT(*) DESC, artist_name
LIMIT 10;
