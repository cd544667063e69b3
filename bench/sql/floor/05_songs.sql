-- One row per song_id; year 0 means unknown.
INSERT INTO songs
SELECT song_id, title, artist_id, NULLIF(year, 0), duration
FROM scratch.catalog
WHERE song_id IS NOT NULL
QUALIFY ROW_NUMBER() OVER (PARTITION BY song_id ORDER BY title, artist_id, year, duration) = 1;
