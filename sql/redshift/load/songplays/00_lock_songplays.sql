-- Runs of different windows replace their facts at the same time, two runs may reload one earlier window, and
-- the catalog's re-matching updates facts: they take turns on the table, before the DELETE takes this
-- transaction's snapshot, rather than abort one another under serializable isolation.
LOCK songplays;
