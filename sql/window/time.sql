-- One row per distinct play timestamp of the window, into the run's own table.
INSERT INTO {{ window_time }} (start_time, hour, day, week, month, year, weekday)
WITH play_times AS (
    SELECT DISTINCT ts AS start_time
    FROM {{ staging_events }}
    WHERE RTRIM(page) = 'NextSong'
      AND ts >= :window_start
      AND ts < :window_end
)

SELECT
    start_time,
    CAST(EXTRACT(HOUR FROM start_time) AS INTEGER) AS hour,
    CAST(EXTRACT(DAY FROM start_time) AS INTEGER) AS day,
    -- ISO 8601 week number
    CAST(EXTRACT(WEEK FROM start_time) AS INTEGER) AS week,
    CAST(EXTRACT(MONTH FROM start_time) AS INTEGER) AS month,
    CAST(EXTRACT(YEAR FROM start_time) AS INTEGER) AS year,
    -- 0 = Sunday
    CAST(EXTRACT(DOW FROM start_time) AS INTEGER) AS weekday
FROM play_times;
