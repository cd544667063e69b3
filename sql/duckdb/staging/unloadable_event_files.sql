-- The files holding bad lines: sparkify/records.py reads just these again for line numbers and reasons.
SELECT DISTINCT filename
FROM event_lines(:files, :compression, :min_ts, :max_ts)
WHERE NOT loadable;
