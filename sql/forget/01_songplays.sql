-- `sparkify forget`: the facts of whole UTC days, deleted on purpose (a run never deletes facts it cannot replace).
DELETE FROM songplays
WHERE start_time >= :window_start
  AND start_time < :window_end;
