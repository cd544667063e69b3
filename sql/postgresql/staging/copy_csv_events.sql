-- The good records of the CSV event logs, screened by sparkify/records.py, stream in through one COPY;
-- the server parses them (RFC 4180 quoting, an empty unquoted field is NULL, "" the empty string).
COPY csv_events FROM STDIN WITH (FORMAT CSV);
