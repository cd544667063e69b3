-- The events each day file gave this run's staging: each UTC day's events are in that day's file, whose
-- ledger row's window lies within the day.
UPDATE loaded_objects
SET rows_staged = events_per_day.staged
FROM (
    SELECT
        CAST(ts AS DATE) AS event_day,
        COUNT(*) AS staged
    FROM {{ staging_events }}
    GROUP BY CAST(ts AS DATE)
) AS events_per_day
WHERE CAST(loaded_objects.window_start AS DATE) = events_per_day.event_day
  AND loaded_objects.run_key = :run_key
  AND loaded_objects.feed = :feed;
