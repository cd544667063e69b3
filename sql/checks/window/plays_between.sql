-- The plays of one span of time: the volume check compares a window with the same window on the days before.
SELECT COUNT(*) AS plays
FROM songplays
WHERE start_time >= :part_start
  AND start_time < :part_end;
