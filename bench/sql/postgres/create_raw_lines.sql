-- The ceiling's target: one text column, so the server stores each line and parses nothing.
CREATE TEMP TABLE {table} (line TEXT);
