-- Songs of this run's catalog are replaced by their staged version.
DELETE FROM songs
WHERE song_id IN (SELECT song_id FROM {{ staging_songs }});
