-- One row per song_id; year 0 is the catalog's "unknown" and becomes NULL.
INSERT INTO songs (song_id, title, artist_id, year, duration)
WITH catalog_entries AS (
    SELECT
        song_id,
        title,
        artist_id,
        year,
        duration,
        ROW_NUMBER() OVER (
            PARTITION BY song_id
            ORDER BY title, artist_id, year, duration
        ) AS entry_rank
    FROM {{ staging_songs }}
    WHERE song_id IS NOT NULL
)

SELECT
    song_id,
    title,
    artist_id,
    NULLIF(year, 0) AS year,
    duration
FROM catalog_entries
WHERE entry_rank = 1;
