-- The events this run staged, per UTC day: each day's events come from that day's file.
SELECT CAST(ts AS DATE) AS event_day, COUNT(*) AS staged
FROM {{ staging_events }}
GROUP BY CAST(ts AS DATE);
