-- One JSON object per song file, pretty-printed or not.
INSERT INTO {{ staging_songs }} (
    num_songs, artist_id, artist_latitude, artist_longitude, artist_location,
    artist_name, song_id, title, duration, year
)
SELECT
    num_songs,
    artist_id,
    artist_latitude,
    artist_longitude,
    artist_location,
    artist_name,
    song_id,
    title,
    duration,
    year
FROM read_json(
    :files,
    format = 'auto',
    columns = {
        'num_songs': 'INTEGER', 'artist_id': 'VARCHAR', 'artist_latitude': 'DOUBLE',
        'artist_longitude': 'DOUBLE', 'artist_location': 'VARCHAR', 'artist_name': 'VARCHAR',
        'song_id': 'VARCHAR', 'title': 'VARCHAR', 'duration': 'DOUBLE', 'year': 'INTEGER'
    }
);
