-- The loadable song files (staging/create_song_files, numbers typed there) into the run's staging table, each row
-- with the object it was read from and that object's time as the listing gave them (lists in the files' order).
INSERT INTO {{ staging_songs }} (
    num_songs, artist_id, artist_latitude, artist_longitude, artist_location,
    artist_name, song_id, title, duration, year, source_object, source_modified_at
)
SELECT
    song_files.num_songs,
    song_files.entry.artist_id,
    song_files.artist_latitude,
    song_files.artist_longitude,
    song_files.entry.artist_location,
    song_files.entry.artist_name,
    song_files.entry.song_id,
    song_files.entry.title,
    song_files.duration,
    song_files.year,
    origins.source_object,
    origins.source_modified_at
FROM song_files
INNER JOIN (
    SELECT
        UNNEST(CAST(:files AS VARCHAR[])) AS filename,
        UNNEST(CAST(:objects AS VARCHAR[])) AS source_object,
        UNNEST(CAST(:modified AS TIMESTAMP[])) AS source_modified_at
) AS origins ON origins.filename = song_files.filename
WHERE song_files.loadable;
