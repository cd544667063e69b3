-- Each song file whole (one object, pretty-printed or not) with whether it is loadable
-- (sparkify/records.py's rules, checked as staging/create_event_lines checks them): not UTF-8, not one
-- JSON object with every field, a number that is not a JSON number (for num_songs and year, not an
-- integer that fits an INTEGER) or a string holding NUL is a bad record; an empty file is no record.
-- Kept for the staging's transaction only. read_blob yields one tiny chunk per file, and stored as they
-- come 10,000 of them took 1.3 GB and 2.7 s (measured): ordering gathers them into full chunks first
-- (110 MB, 0.4 s).
CREATE TEMPORARY TABLE song_files AS
SELECT
    filename,
    entry,
    num_songs,
    artist_latitude,
    artist_longitude,
    duration,
    year,
    entry IS NOT NULL
    AND (entry.num_songs IS NULL OR (num_songs IS NOT NULL AND NOT regexp_matches(CAST(entry.num_songs AS VARCHAR), '[.eE]')))
    AND (entry.year IS NULL OR (year IS NOT NULL AND NOT regexp_matches(CAST(entry.year AS VARCHAR), '[.eE]')))
    AND (entry.artist_latitude IS NULL OR (artist_latitude IS NOT NULL AND isfinite(artist_latitude)))
    AND (entry.artist_longitude IS NULL OR (artist_longitude IS NOT NULL AND isfinite(artist_longitude)))
    AND (entry.duration IS NULL OR (duration IS NOT NULL AND isfinite(duration)))
    AND NOT contains(CAST(entry AS VARCHAR), chr(0))
    AS loadable
FROM (
    SELECT
        filename,
        entry,
        TRY_CAST(CAST(entry.num_songs AS VARCHAR) AS INTEGER) AS num_songs,
        TRY_CAST(CAST(entry.artist_latitude AS VARCHAR) AS DOUBLE) AS artist_latitude,
        TRY_CAST(CAST(entry.artist_longitude AS VARCHAR) AS DOUBLE) AS artist_longitude,
        TRY_CAST(CAST(entry.duration AS VARCHAR) AS DOUBLE) AS duration,
        TRY_CAST(CAST(entry.year AS VARCHAR) AS INTEGER) AS year
    FROM (
        SELECT
            filename,
            try(json_transform_strict(text, '{
                "num_songs": "JSON", "artist_id": "VARCHAR", "artist_latitude": "JSON",
                "artist_longitude": "JSON", "artist_location": "VARCHAR", "artist_name": "VARCHAR",
                "song_id": "VARCHAR", "title": "VARCHAR", "duration": "JSON", "year": "JSON"
            }')) AS entry
        -- a byte-order mark at the start is dropped, as sparkify/records.py drops it
        FROM (
            SELECT
                filename,
                CASE WHEN starts_with(text, chr(65279)) THEN substr(text, 2) ELSE text END AS text
            FROM (SELECT filename, try(decode(content)) AS text FROM read_blob(:files))
        )
        WHERE text IS NULL OR trim(text, E' \t\r\n') <> ''
    )
)
ORDER BY filename;
