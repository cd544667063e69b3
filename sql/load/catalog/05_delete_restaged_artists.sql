-- The artists of the songs this run staged are derived again from every catalog entry they have.
DELETE FROM artists
WHERE artist_id IN (
    SELECT artist_id
    FROM {{ staging_songs }}
);
