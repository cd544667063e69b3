-- The staged entry of each song_id from its file modified last, unless the catalog keeps a later one. Text is
-- stored as every engine compares it (Redshift's): trailing blanks are no part of a value; a blank location is NULL.
INSERT INTO song_catalog (
    song_id, artist_id, title, artist_name, duration, year, artist_location, artist_latitude, artist_longitude,
    source_object, source_modified_at
)
WITH staged_entries AS (
    SELECT
        song_id,
        artist_id,
        RTRIM(title) AS title,
        RTRIM(artist_name) AS artist_name,
        duration,
        year,
        CASE WHEN TRIM(artist_location) = '' THEN NULL ELSE RTRIM(artist_location) END AS artist_location,
        artist_latitude,
        artist_longitude,
        source_object,
        source_modified_at,
        ROW_NUMBER() OVER (
            PARTITION BY song_id
            ORDER BY source_modified_at DESC, source_object DESC
        ) AS recency
    FROM {{ staging_songs }}
    WHERE song_id IS NOT NULL
)

SELECT
    staged.song_id,
    staged.artist_id,
    staged.title,
    staged.artist_name,
    staged.duration,
    staged.year,
    staged.artist_location,
    staged.artist_latitude,
    staged.artist_longitude,
    staged.source_object,
    staged.source_modified_at
FROM staged_entries AS staged
WHERE staged.recency = 1
  AND NOT EXISTS (
      SELECT 1
      FROM song_catalog AS kept
      WHERE kept.song_id = staged.song_id
  );
