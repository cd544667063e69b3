-- The song files are in the run's staging table now.
DROP TABLE song_files;
