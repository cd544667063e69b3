-- The run owns the parts of its window it read a day file for: their facts are replaced, never added to.
-- Facts of a day whose file is missing, empty or unreadable are never touched (sparkify/steps.py).
DELETE FROM songplays
WHERE start_time >= :part_start
  AND start_time < :part_end;
