-- A song file holds one record: staged, unless it was rejected. The listing's own row (the song_data/
-- folder, whose identity is the whole listing's) holds no record.
UPDATE loaded_objects
SET rows_staged = CASE WHEN rows_rejected > 0 OR RIGHT(source_object, 1) = '/' THEN 0 ELSE 1 END
WHERE run_key = :run_key
  AND feed = :feed;
