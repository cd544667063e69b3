-- Song rows stream in from the song files read by sparkify/warehouse/postgres.py, in the staging
-- table's column order; the binary format spares the server parsing text.
COPY {{ staging_songs }} FROM STDIN WITH (FORMAT BINARY);
