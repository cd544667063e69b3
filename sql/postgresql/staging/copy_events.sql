-- Event rows stream in from the JSON lines read by sparkify/warehouse/postgres.py, in the staging
-- table's column order; the binary format spares the server parsing text.
COPY {{ staging_events }} FROM STDIN WITH (FORMAT BINARY);
