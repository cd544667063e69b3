-- What was rejected is not staged.
DELETE FROM {{ staging_events }}
WHERE rejection IS NOT NULL;
