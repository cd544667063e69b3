-- Two runs may load one window at once (an earlier window reloaded by both), and the catalog's
-- re-matching updates facts: the lock makes them take turns until commit instead of one failing with a
-- serializable isolation violation.
LOCK songplays;
