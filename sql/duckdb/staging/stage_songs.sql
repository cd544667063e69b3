-- The loadable song files (staging/create_song_files, numbers typed there) into the run's staging table.
INSERT INTO {{ staging_songs }} (
    num_songs, artist_id, artist_latitude, artist_longitude, artist_location,
    artist_name, song_id, title, duration, year
)
SELECT
    num_songs,
    entry.artist_id,
    artist_latitude,
    artist_longitude,
    entry.artist_location,
    entry.artist_name,
    entry.song_id,
    entry.title,
    duration,
    year
FROM song_files
WHERE loadable;
