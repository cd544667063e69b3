-- The loadable song files (staging/create_song_files) into the run's staging table.
INSERT INTO {{ staging_songs }} (
    num_songs, artist_id, artist_latitude, artist_longitude, artist_location,
    artist_name, song_id, title, duration, year
)
SELECT
    entry.num_songs,
    entry.artist_id,
    entry.artist_latitude,
    entry.artist_longitude,
    entry.artist_location,
    entry.artist_name,
    entry.song_id,
    entry.title,
    entry.duration,
    entry.year
FROM song_files
WHERE loadable;
