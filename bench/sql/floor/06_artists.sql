-- One row per artist, preferring the entry that says most about where they are.
INSERT INTO artists
WITH entries AS (
    SELECT
        artist_id,
        artist_name,
        CASE WHEN TRIM(artist_location) = '' THEN NULL ELSE artist_location END AS artist_location,
        artist_latitude,
        artist_longitude,
        song_id
    FROM scratch.catalog
    WHERE artist_id IS NOT NULL
)

SELECT artist_id, artist_name, artist_location, artist_latitude, artist_longitude
FROM entries
QUALIFY ROW_NUMBER() OVER (
    PARTITION BY artist_id
    ORDER BY
        CASE WHEN artist_latitude IS NULL THEN 1 ELSE 0 END,
        CASE WHEN artist_location IS NULL THEN 1 ELSE 0 END,
        song_id
) = 1;
