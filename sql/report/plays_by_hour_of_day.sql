-- The window's plays per hour of the day (UTC); hours without plays are absent.
SELECT
    hour_of_day,
    SUM(plays) AS plays
FROM listening_by_hour
WHERE played_hour >= :window_start
  AND played_hour < :window_end
GROUP BY hour_of_day
ORDER BY hour_of_day;
