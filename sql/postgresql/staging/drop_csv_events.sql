-- The CSV rows are in the run's staging table now.
DROP TABLE csv_events;
