-- One row per user, as of their latest event: the level a user switched to last wins.
INSERT INTO users (user_id, first_name, last_name, gender, level, last_seen_at)
WITH user_events AS (
    SELECT
        CAST(NULLIF(TRIM(userid), '') AS INTEGER) AS user_id,
        firstname,
        lastname,
        gender,
        level,
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
        firstname,
        lastname,
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
    latest.user_id,
    latest.firstname AS first_name,
    latest.lastname AS last_name,
    latest.gender,
    latest.level,
    latest.ts AS last_seen_at
FROM ranked_user_events AS latest
WHERE latest.recency = 1
  AND NOT EXISTS (
      SELECT 1 FROM users AS kept WHERE kept.user_id = latest.user_id
  );
