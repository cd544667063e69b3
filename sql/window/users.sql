-- Each user the window's events name, as of their latest event (all pages, not only plays), into the run's own
-- table: the level a user switched to last wins.
INSERT INTO {{ window_users }} (user_id, first_name, last_name, gender, level, last_seen_at)
WITH user_events AS (
    SELECT
        CAST(NULLIF(TRIM(userid), '') AS INTEGER) AS user_id,
        RTRIM(firstname) AS first_name,
        RTRIM(lastname) AS last_name,
        RTRIM(gender) AS gender,
        RTRIM(level) AS level,
        ts,
        sessionid,
        iteminsession
    FROM {{ staging_events }}
    WHERE NULLIF(TRIM(userid), '') IS NOT NULL
      AND ts >= :window_start
      AND ts < :window_end
),

ranked_user_events AS (
    SELECT
        user_id,
        first_name,
        last_name,
        gender,
        level,
        ts,
        ROW_NUMBER() OVER (
            PARTITION BY user_id
            ORDER BY ts DESC NULLS LAST, sessionid DESC NULLS LAST, iteminsession DESC NULLS LAST
        ) AS recency
    FROM user_events
)

SELECT
    user_id,
    first_name,
    last_name,
    gender,
    level,
    ts AS last_seen_at
FROM ranked_user_events
WHERE recency = 1;
