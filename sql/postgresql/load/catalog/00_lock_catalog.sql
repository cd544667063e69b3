-- Runs in flight together may stage the same new song files: their catalog, songs and artists upserts
-- take turns until commit (under READ COMMITTED two delete+insert upserts would both insert the same
-- keys). songplays is locked too, so that a run re-matching plays sees every committed fact and a window
-- loaded meanwhile matches against the catalog as committed. loaded_objects is locked last, when the
-- files are recorded (sparkify/warehouse/base.py). Readers go on.
LOCK TABLE song_catalog, songs, artists, songplays IN SHARE ROW EXCLUSIVE MODE;
