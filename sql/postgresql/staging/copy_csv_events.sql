-- One CSV file streams in per COPY; the server parses it (RFC 4180 quoting, an empty unquoted field is
-- NULL, "" the empty string) and HEADER MATCH refuses a file whose header is not the layout's.
COPY csv_events FROM STDIN WITH (FORMAT CSV, HEADER MATCH);
