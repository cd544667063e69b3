-- Each song file whole (one object, pretty-printed or not) with whether it is loadable
-- (sparkify/records.py's rules): not UTF-8 or not one JSON object with every field is a bad record;
-- an empty file is no record. Kept for the staging's transaction only.
CREATE TEMPORARY TABLE song_files AS
SELECT
    filename,
    entry,
    entry IS NOT NULL AS loadable
FROM (
    SELECT
        filename,
        try(json_transform_strict(text, '{
            "num_songs": "INTEGER", "artist_id": "VARCHAR", "artist_latitude": "DOUBLE",
            "artist_longitude": "DOUBLE", "artist_location": "VARCHAR", "artist_name": "VARCHAR",
            "song_id": "VARCHAR", "title": "VARCHAR", "duration": "DOUBLE", "year": "INTEGER"
        }')) AS entry
    FROM (SELECT filename, try(decode(content)) AS text FROM read_blob(:files))
    WHERE text IS NULL OR trim(text, E' \t\r\n') <> ''
);
