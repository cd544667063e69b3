-- The newest play since a moment (the freshness check's horizon): a range on start_time, never the whole table.
SELECT MAX(start_time) AS newest_play
FROM songplays
WHERE start_time >= :since;
