-- Song rows stream in from the song files read by sparkify/warehouse/postgres.py, in the staging
-- table's column order; the binary format spares the server parsing text.
-- (sqlfluff's PostgreSQL grammar lacks COPY's FORMAT option, PostgreSQL's own since 9.0)
-- noqa: disable=PRS
COPY {{ staging_songs }} FROM STDIN WITH (FORMAT BINARY);
