-- One row per artist, preferring the catalog entry that says the most about where they are.
INSERT INTO artists (artist_id, name, location, latitude, longitude)
WITH artist_entries AS (
    SELECT
        artist_id,
        artist_name,
        CASE WHEN TRIM(artist_location) = '' THEN NULL ELSE artist_location END AS artist_location,
        artist_latitude,
        artist_longitude,
        song_id
    FROM {{ staging_songs }}
    WHERE artist_id IS NOT NULL
),

ranked_artist_entries AS (
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
    FROM artist_entries
)

SELECT
    artist_id,
    artist_name AS name,
    artist_location AS location,
    artist_latitude AS latitude,
    artist_longitude AS longitude
FROM ranked_artist_entries
WHERE completeness_rank = 1;
