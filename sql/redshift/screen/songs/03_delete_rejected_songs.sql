-- What was rejected is not staged.
DELETE FROM {{ staging_songs }}
WHERE rejection IS NOT NULL;
