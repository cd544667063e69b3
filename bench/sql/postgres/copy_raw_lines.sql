-- Each line arrives verbatim: CSV whose quote and delimiter bytes never occur in the JSON lines.
COPY {table} FROM STDIN (FORMAT CSV, QUOTE E'\x01', DELIMITER E'\x02');
