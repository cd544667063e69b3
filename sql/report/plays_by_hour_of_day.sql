-- The window's plays per hour of the day (UTC), from its facts alone; hours without plays are absent.
SELECT
    CAST(EXTRACT(HOUR FROM start_time) AS INTEGER) AS hour_of_day,
    COUNT(*) AS plays
FROM songplays
WHERE start_time >= :window_start
  AND start_time < :window_end
GROUP BY CAST(EXTRACT(HOUR FROM start_time) AS INTEGER)
ORDER BY hour_of_day;
