-- One row per distinct play timestamp.
INSERT INTO time
SELECT
    start_time,
    CAST(EXTRACT(HOUR FROM start_time) AS INTEGER),
    CAST(EXTRACT(DAY FROM start_time) AS INTEGER),
    CAST(EXTRACT(WEEK FROM start_time) AS INTEGER),
    CAST(EXTRACT(MONTH FROM start_time) AS INTEGER),
    CAST(EXTRACT(YEAR FROM start_time) AS INTEGER),
    CAST(EXTRACT(DOW FROM start_time) AS INTEGER)
FROM (SELECT DISTINCT ts AS start_time FROM scratch.events WHERE page = 'NextSong') AS play_times;
