-- The file of each line the reader skipped (not UTF-8, too long): those lines are bad records too.
SELECT scans.file_path
FROM event_line_errors AS errors
INNER JOIN event_line_scans AS scans
    ON errors.scan_id = scans.scan_id AND errors.file_id = scans.file_id;
