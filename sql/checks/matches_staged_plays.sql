-- Observed: how far the window's fact count is from its distinct staged NextSong events (expected 0).
WITH window_facts AS (
    SELECT COUNT(*) AS fact_count
    FROM {{ table }}
    WHERE start_time >= :window_start
      AND start_time < :window_end
),

window_plays AS (
    SELECT COUNT(*) AS play_count
    FROM (
        SELECT DISTINCT userid, sessionid, iteminsession
        FROM {{ staging_events }}
        WHERE page = 'NextSong'
          AND ts >= :window_start
          AND ts < :window_end
    ) AS distinct_plays
)

SELECT ABS(window_facts.fact_count - window_plays.play_count) AS observed
FROM window_facts
CROSS JOIN window_plays;
