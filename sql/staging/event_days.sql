-- The UTC days the run's staged events fall on: a day's facts are replaced only when its file gave some.
SELECT DISTINCT CAST(ts AS DATE) AS event_day
FROM {{ staging_events }}
WHERE ts IS NOT NULL;
