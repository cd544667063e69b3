-- The run owns its window: clearing it first makes a re-run replace its facts, never add to them.
DELETE FROM songplays
WHERE start_time >= :window_start
  AND start_time < :window_end;
