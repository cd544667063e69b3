-- The staged songs whose text is longer than its column, which COPY's TRUNCATECOLUMNS would have cut silently
-- (the staging columns are far wider than these widths).
UPDATE {{ staging_songs }}
SET rejection = CASE
    WHEN OCTET_LENGTH(artist_id) > 32 THEN 'artist_id is longer than 32 bytes'
    WHEN OCTET_LENGTH(artist_location) > 1024 THEN 'artist_location is longer than 1024 bytes'
    WHEN OCTET_LENGTH(artist_name) > 1024 THEN 'artist_name is longer than 1024 bytes'
    WHEN OCTET_LENGTH(song_id) > 32 THEN 'song_id is longer than 32 bytes'
    WHEN OCTET_LENGTH(title) > 1024 THEN 'title is longer than 1024 bytes'
END;
