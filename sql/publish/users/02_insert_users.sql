-- The users the run saw that the table does not hold (any more): one row per user.
INSERT INTO users (user_id, first_name, last_name, gender, level, last_seen_at)
SELECT
    seen.user_id,
    seen.first_name,
    seen.last_name,
    seen.gender,
    seen.level,
    seen.last_seen_at
FROM {{ window_users }} AS seen
WHERE NOT EXISTS (
    SELECT 1
    FROM users AS kept
    WHERE kept.user_id = seen.user_id
);
