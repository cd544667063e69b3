-- The identity the ledger last recorded for one object: for the catalog's listing as a whole, whether
-- anything in song_data/ is new or changed since.
SELECT MAX(object_identity)
FROM loaded_objects
WHERE feed = :feed
  AND source_object = :source_object;
