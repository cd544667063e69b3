-- Runs in flight together may stage the same new song files: the lock makes their catalog upserts, the
-- re-matching of plays and the recording of the song files take turns until commit instead of one failing
-- with a serializable isolation violation. Every table this transaction writes is locked here, before
-- anything takes its snapshot (loaded_objects included, though it is written last).
LOCK song_catalog, songs, artists, songplays, loaded_objects;
