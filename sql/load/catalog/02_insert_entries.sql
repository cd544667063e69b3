-- Each staged entry as the song file gives it: title, artist name and duration are what plays match on.
INSERT INTO song_catalog (song_id, artist_id, title, artist_name, duration)
SELECT DISTINCT
    song_id,
    artist_id,
    title,
    artist_name,
    duration
FROM {{ staging_songs }}
WHERE song_id IS NOT NULL;
