-- Runs in flight together record the same object and window: the lock makes them take turns until
-- commit instead of one failing with a serializable isolation violation.
LOCK loaded_objects;
