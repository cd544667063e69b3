-- What the ledger holds for one feed of one source: each object, the identity it was loaded as, and the
-- window of facts (for songs: all time) loaded from it. The catalog's song files, when its listing changed.
SELECT source_object, object_identity, window_start, window_end
FROM loaded_objects
WHERE feed = :feed
  AND source_object LIKE :pattern;
