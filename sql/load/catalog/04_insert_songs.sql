-- One row per song_id, from its winning catalog entry; year 0 is the catalog's "unknown" and becomes NULL.
INSERT INTO songs (song_id, title, artist_id, year, duration)
SELECT
    catalog.song_id,
    catalog.title,
    catalog.artist_id,
    NULLIF(catalog.year, 0) AS year,
    catalog.duration
FROM song_catalog AS catalog
WHERE catalog.song_id IN (
    SELECT song_id
    FROM {{ staging_songs }}
);
