-- Plays and distinct active users per hour of the day (0-23, UTC), over everything loaded.
CREATE OR REPLACE VIEW listening_by_hour_of_day AS
SELECT
    play_times.hour AS hour_of_day,
    COUNT(*) AS plays,
    COUNT(DISTINCT plays.user_id) AS active_users
FROM songplays AS plays
INNER JOIN time AS play_times ON play_times.start_time = plays.start_time
GROUP BY play_times.hour;
