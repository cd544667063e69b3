-- One row per listening session: its plays, when it started, and how long it lasted. Redshift's EXTRACT(EPOCH ...)
-- is a whole number of seconds: DATEDIFF in milliseconds keeps the span as exact as on the other engines.
CREATE OR REPLACE VIEW sessions AS
SELECT
    user_id,
    session_id,
    MIN(start_time) AS started_at,
    MAX(start_time) AS last_play_at,
    COUNT(*) AS plays,
    -- from the first play's start to the last play's start, to the millisecond
    CAST(DATEDIFF(MILLISECOND, MIN(start_time), MAX(start_time)) AS DOUBLE PRECISION) / 1000 AS span_seconds,
    SUM(song_length) AS listening_seconds
FROM songplays
GROUP BY user_id, session_id;
