-- The songs this run staged are derived again from the catalog's winning entries.
DELETE FROM songs
WHERE song_id IN (
    SELECT song_id
    FROM {{ staging_songs }}
);
