-- Observed: how far the facts of one part of the window the run replaced are from its distinct staged NextSong
-- events (expected 0). Evaluated for each part (a day's file read) and added up. PostgreSQL: each play is told apart
-- by its rank among its deliveries, a sort; a DISTINCT of a full load's 1.6 million plays became a parallel hash
-- aggregate that spilled to disk again and again (11 GB written, stopped after 10 minutes; this: 7 s).
WITH part_facts AS (
    SELECT COUNT(*) AS fact_count
    FROM songplays
    WHERE start_time >= :part_start
      AND start_time < :part_end
),

ranked_deliveries AS (
    SELECT
        ROW_NUMBER() OVER (
            PARTITION BY userid, sessionid, iteminsession
        ) AS delivery_number
    FROM {{ staging_events }}
    WHERE page = 'NextSong'
      AND ts >= :part_start
      AND ts < :part_end
),

part_plays AS (
    SELECT COUNT(*) AS play_count
    FROM ranked_deliveries
    WHERE delivery_number = 1
)

SELECT ABS(part_facts.fact_count - part_plays.play_count) AS observed
FROM part_facts
CROSS JOIN part_plays;
