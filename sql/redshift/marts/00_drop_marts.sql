-- Redshift replaces a view only by one with identical columns: the marts are dropped and created again in the
-- same transaction (readers never see them missing), so a changed view is no failed run. Grants go with them.
DROP VIEW IF EXISTS
    level_switches,
    levels_by_day,
    listening_by_hour,
    listening_by_hour_of_day,
    listening_by_weekday,
    plays_by_artist,
    plays_by_song,
    sessions
CASCADE;
