-- Free vs paid per day: plays, active users, and users who switched level (runs after level_switches, which it reads).
CREATE OR REPLACE VIEW levels_by_day AS
WITH daily_plays AS (
    SELECT
        CAST(start_time AS DATE) AS play_date,
        SUM(CASE WHEN level = 'free' THEN 1 ELSE 0 END) AS free_plays,
        SUM(CASE WHEN level = 'paid' THEN 1 ELSE 0 END) AS paid_plays,
        COUNT(DISTINCT CASE WHEN level = 'free' THEN user_id END) AS free_users,
        COUNT(DISTINCT CASE WHEN level = 'paid' THEN user_id END) AS paid_users
    FROM songplays
    GROUP BY CAST(start_time AS DATE)
),

daily_switches AS (
    SELECT
        switch_date,
        COUNT(DISTINCT CASE WHEN to_level = 'paid' THEN user_id END) AS users_upgraded,
        COUNT(DISTINCT CASE WHEN to_level = 'free' THEN user_id END) AS users_downgraded,
        COUNT(DISTINCT user_id) AS users_switched
    FROM level_switches
    GROUP BY switch_date
)

SELECT
    daily_plays.play_date,
    daily_plays.free_plays,
    daily_plays.paid_plays,
    daily_plays.free_users,
    daily_plays.paid_users,
    COALESCE(daily_switches.users_upgraded, 0) AS users_upgraded,
    COALESCE(daily_switches.users_downgraded, 0) AS users_downgraded,
    COALESCE(daily_switches.users_switched, 0) AS users_switched
FROM daily_plays
LEFT JOIN daily_switches ON daily_switches.switch_date = daily_plays.play_date;
