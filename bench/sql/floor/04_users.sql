-- One row per user, as of their latest event.
INSERT INTO users
SELECT
    CAST(NULLIF(TRIM(userid), '') AS INTEGER) AS user_id,
    firstname,
    lastname,
    gender,
    level,
    ts
FROM scratch.events
WHERE NULLIF(TRIM(userid), '') IS NOT NULL
QUALIFY ROW_NUMBER() OVER (
    PARTITION BY CAST(NULLIF(TRIM(userid), '') AS INTEGER)
    ORDER BY ts DESC, sessionid DESC, iteminsession DESC
) = 1;
