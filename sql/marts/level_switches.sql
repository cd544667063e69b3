-- Each time a user's level changed (free to paid or back), seen at their first play on the new level.
CREATE OR REPLACE VIEW level_switches AS
WITH plays_in_order AS (
    SELECT
        user_id,
        start_time,
        level,
        LAG(level) OVER (
            PARTITION BY user_id
            ORDER BY start_time, session_id, songplay_id
        ) AS previous_level
    FROM songplays
    WHERE user_id IS NOT NULL
)

SELECT
    user_id,
    start_time AS switched_at,
    CAST(start_time AS DATE) AS switch_date,
    previous_level AS from_level,
    level AS to_level
FROM plays_in_order
WHERE previous_level <> level;
