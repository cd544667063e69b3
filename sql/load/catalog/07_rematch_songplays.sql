-- Plays already loaded, of any window, whose title, artist name and duration a staged entry names are
-- matched again against the whole catalog, as a fresh load would match them (the lowest song_id wins):
-- a song that reached the catalog after its plays were loaded gets them.
UPDATE songplays
SET
    song_id = winning_entries.song_id,
    artist_id = winning_entries.artist_id
FROM (
    SELECT
        song_id,
        artist_id,
        title,
        artist_name,
        duration
    FROM (
        SELECT
            catalog.song_id,
            catalog.artist_id,
            catalog.title,
            catalog.artist_name,
            catalog.duration,
            ROW_NUMBER() OVER (
                PARTITION BY catalog.title, catalog.artist_name, catalog.duration
                ORDER BY catalog.song_id
            ) AS entry_rank
        FROM song_catalog AS catalog
        WHERE EXISTS (
            SELECT 1
            FROM {{ staging_songs }} AS staged
            WHERE RTRIM(staged.title) = catalog.title
              AND RTRIM(staged.artist_name) = catalog.artist_name
              AND staged.duration = catalog.duration
        )
    ) AS restaged_entries
    WHERE entry_rank = 1
) AS winning_entries
WHERE songplays.song_title = winning_entries.title
  AND songplays.artist_name = winning_entries.artist_name
  AND songplays.song_length = winning_entries.duration
  AND (
      COALESCE(songplays.song_id, '') <> winning_entries.song_id
      OR COALESCE(songplays.artist_id, '') <> COALESCE(winning_entries.artist_id, '')
  );
