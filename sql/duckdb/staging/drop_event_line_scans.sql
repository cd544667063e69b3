-- See drop_event_line_errors.sql.
DROP TABLE IF EXISTS event_line_scans;
