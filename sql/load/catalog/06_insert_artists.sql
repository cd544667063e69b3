-- One row per artist, from the catalog entry of theirs that says the most about where they are (then the lowest
-- song_id): every entry of the artist is weighed, so the arrival order of their song files does not matter.
INSERT INTO artists (artist_id, name, location, latitude, longitude)
WITH artist_entries AS (
    SELECT
        artist_id,
        artist_name,
        artist_location,
        artist_latitude,
        artist_longitude,
        ROW_NUMBER() OVER (
            PARTITION BY artist_id
            ORDER BY
                CASE WHEN artist_latitude IS NULL THEN 1 ELSE 0 END,
                CASE WHEN artist_location IS NULL THEN 1 ELSE 0 END,
                song_id
        ) AS completeness_rank
    FROM song_catalog
    WHERE artist_id IN (
        SELECT artist_id
        FROM {{ staging_songs }}
    )
)

SELECT
    artist_id,
    artist_name AS name,
    artist_location AS location,
    artist_latitude AS latitude,
    artist_longitude AS longitude
FROM artist_entries
WHERE completeness_rank = 1;
