-- ...and the ledger rows of those days' event files, so that a run loads a file delivered again.
DELETE FROM loaded_objects
WHERE feed = 'events'
  AND window_start >= :window_start
  AND window_end <= :window_end;
