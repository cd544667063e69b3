-- Observed: how far the facts of one part of the window the run replaced are from its distinct staged NextSong
-- events (expected 0). Evaluated for each part (a day's file read) and added up.
WITH part_facts AS (
    SELECT COUNT(*) AS fact_count
    FROM songplays
    WHERE start_time >= :part_start
      AND start_time < :part_end
),

part_plays AS (
    SELECT COUNT(*) AS play_count
    FROM (
        SELECT DISTINCT userid, sessionid, iteminsession
        FROM {{ staging_events }}
        WHERE page = 'NextSong'
          AND ts >= :part_start
          AND ts < :part_end
    ) AS distinct_plays
)

SELECT ABS(part_facts.fact_count - part_plays.play_count) AS observed
FROM part_facts
CROSS JOIN part_plays;
