-- Artists of this run's catalog are replaced by their staged version.
DELETE FROM artists
WHERE artist_id IN (SELECT artist_id FROM {{ staging_songs }});
