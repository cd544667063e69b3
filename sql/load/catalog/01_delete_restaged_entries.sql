-- Catalog entries of the songs this run staged are replaced by their staged version.
DELETE FROM song_catalog
WHERE song_id IN (SELECT song_id FROM {{ staging_songs }});
