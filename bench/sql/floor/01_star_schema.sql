-- The five tables of sparkify.schema, as DuckDB compiles them (lengths are not enforced by DuckDB).
CREATE TABLE songplays (
    songplay_id VARCHAR NOT NULL,
    start_time TIMESTAMP NOT NULL,
    user_id INTEGER,
    level VARCHAR,
    song_id VARCHAR,
    artist_id VARCHAR,
    session_id INTEGER,
    location VARCHAR,
    user_agent VARCHAR,
    song_title VARCHAR,
    artist_name VARCHAR,
    song_length DOUBLE
);

CREATE TABLE users (
    user_id INTEGER NOT NULL,
    first_name VARCHAR,
    last_name VARCHAR,
    gender VARCHAR,
    level VARCHAR,
    last_seen_at TIMESTAMP
);

CREATE TABLE songs (
    song_id VARCHAR NOT NULL,
    title VARCHAR,
    artist_id VARCHAR,
    year INTEGER,
    duration DOUBLE
);

CREATE TABLE artists (
    artist_id VARCHAR NOT NULL,
    name VARCHAR,
    location VARCHAR,
    latitude DOUBLE,
    longitude DOUBLE
);

CREATE TABLE time (
    start_time TIMESTAMP NOT NULL,
    hour INTEGER,
    day INTEGER,
    week INTEGER,
    month INTEGER,
    year INTEGER,
    weekday INTEGER
);
