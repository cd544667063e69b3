-- Runs in flight together may stage the same new song files: the lock makes their catalog upserts and
-- the re-matching of plays take turns until commit instead of one failing with a serializable
-- isolation violation (the tables in the order every run locks them; loaded_objects last, when recorded).
LOCK song_catalog, songs, artists, songplays;
