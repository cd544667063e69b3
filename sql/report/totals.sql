-- The window's listening in numbers: plays, plays the catalog matched, the free/paid split, users who switched level.
WITH window_hours AS (
    SELECT
        COALESCE(SUM(plays), 0) AS plays,
        COALESCE(SUM(matched_plays), 0) AS matched_plays,
        COALESCE(SUM(free_plays), 0) AS free_plays,
        COALESCE(SUM(paid_plays), 0) AS paid_plays
    FROM listening_by_hour
    WHERE played_hour >= :window_start
      AND played_hour < :window_end
),

window_switches AS (
    SELECT
        COUNT(DISTINCT CASE WHEN to_level = 'paid' THEN user_id END) AS users_upgraded,
        COUNT(DISTINCT CASE WHEN to_level = 'free' THEN user_id END) AS users_downgraded
    FROM level_switches
    WHERE switched_at >= :window_start
      AND switched_at < :window_end
)

SELECT
    window_hours.plays,
    window_hours.matched_plays,
    window_hours.free_plays,
    window_hours.paid_plays,
    window_switches.users_upgraded,
    window_switches.users_downgraded
FROM window_hours
CROSS JOIN window_switches;
