-- Plays and distinct active users per day of the week (0 = Sunday, UTC), over everything loaded.
CREATE OR REPLACE VIEW listening_by_weekday AS
SELECT
    play_times.weekday,
    CASE play_times.weekday
        WHEN 0 THEN 'Sunday'
        WHEN 1 THEN 'Monday'
        WHEN 2 THEN 'Tuesday'
        WHEN 3 THEN 'Wednesday'
        WHEN 4 THEN 'Thursday'
        WHEN 5 THEN 'Friday'
        ELSE 'Saturday'
    END AS weekday_name,
    COUNT(*) AS plays,
    COUNT(DISTINCT plays.user_id) AS active_users
FROM songplays AS plays
INNER JOIN time AS play_times ON play_times.start_time = plays.start_time
GROUP BY play_times.weekday;
