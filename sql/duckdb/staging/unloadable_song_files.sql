-- The bad song files: sparkify/records.py reads them again for the reasons.
SELECT filename
FROM song_files
WHERE NOT loadable;
