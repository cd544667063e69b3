-- A pooled connection keeps the previous scan's reject tables: each staging starts without them.
DROP TABLE IF EXISTS event_line_errors;
