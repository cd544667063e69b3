-- Runs of different windows replace their facts at the same time: they take turns on the table, before the
-- DELETE takes this transaction's snapshot, rather than abort one another under serializable isolation.
LOCK songplays;
