-- The window's listening in numbers: plays, plays the catalog matched, the free/paid split, and the users who switched
-- level between two of their plays in the window. It reads the window's facts alone (a range on start_time).
WITH window_plays AS (
    SELECT
        songplay_id,
        user_id,
        session_id,
        start_time,
        level,
        song_id
    FROM songplays
    WHERE start_time >= :window_start
      AND start_time < :window_end
),

plays_in_order AS (
    SELECT
        user_id,
        level,
        LAG(level) OVER (
            PARTITION BY user_id
            ORDER BY start_time, session_id, songplay_id
        ) AS previous_level
    FROM window_plays
    WHERE user_id IS NOT NULL
),

window_totals AS (
    SELECT
        COUNT(*) AS plays,
        COALESCE(SUM(CASE WHEN song_id IS NOT NULL THEN 1 ELSE 0 END), 0) AS matched_plays,
        COALESCE(SUM(CASE WHEN level = 'free' THEN 1 ELSE 0 END), 0) AS free_plays,
        COALESCE(SUM(CASE WHEN level = 'paid' THEN 1 ELSE 0 END), 0) AS paid_plays
    FROM window_plays
),

window_switches AS (
    SELECT
        COUNT(DISTINCT CASE WHEN level = 'paid' THEN user_id END) AS users_upgraded,
        COUNT(DISTINCT CASE WHEN level = 'free' THEN user_id END) AS users_downgraded
    FROM plays_in_order
    WHERE previous_level <> level
)

SELECT
    window_totals.plays,
    window_totals.matched_plays,
    window_totals.free_plays,
    window_totals.paid_plays,
    window_switches.users_upgraded,
    window_switches.users_downgraded
FROM window_totals
CROSS JOIN window_switches;
