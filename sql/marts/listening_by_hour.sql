-- Each hour's listening: plays, active users, the free/paid split and the share of plays the catalog matched.
CREATE OR REPLACE VIEW listening_by_hour AS
SELECT
    DATE_TRUNC('hour', plays.start_time) AS played_hour,
    CAST(plays.start_time AS DATE) AS play_date,
    play_times.hour AS hour_of_day,
    play_times.weekday,
    COUNT(*) AS plays,
    COUNT(DISTINCT plays.user_id) AS active_users,
    SUM(CASE WHEN plays.level = 'free' THEN 1 ELSE 0 END) AS free_plays,
    SUM(CASE WHEN plays.level = 'paid' THEN 1 ELSE 0 END) AS paid_plays,
    SUM(CASE WHEN plays.song_id IS NOT NULL THEN 1 ELSE 0 END) AS matched_plays,
    CAST(SUM(CASE WHEN plays.song_id IS NOT NULL THEN 1 ELSE 0 END) AS DOUBLE PRECISION) / COUNT(*) AS matched_share
FROM songplays AS plays
INNER JOIN time AS play_times ON play_times.start_time = plays.start_time
GROUP BY DATE_TRUNC('hour', plays.start_time), CAST(plays.start_time AS DATE), play_times.hour, play_times.weekday;
