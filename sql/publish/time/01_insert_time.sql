-- The window's play timestamps the table does not hold yet; those already known are left alone.
INSERT INTO time (start_time, hour, day, week, month, year, weekday)
SELECT
    seen.start_time,
    seen.hour,
    seen.day,
    seen.week,
    seen.month,
    seen.year,
    seen.weekday
FROM {{ window_time }} AS seen
WHERE NOT EXISTS (
    SELECT 1
    FROM time AS known
    WHERE known.start_time = seen.start_time
);
