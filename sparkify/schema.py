"""The warehouse's tables, declared once for every engine.

Column names and types are the contract analysts query against. Declaring them
as SQLAlchemy tables (rather than one DDL file per engine) lets each dialect
compile its own ``CREATE TABLE``; Redshift's distribution and sort keys travel
as the dialect's table options and are ignored by the other engines.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

#: Short text columns (names, levels, identifiers).
NAME = sa.String(256)
#: Long free text (titles, user agents): Redshift counts VARCHAR length in bytes.
TEXT = sa.String(1024)
#: Floating point keeps every digit of durations and coordinates.
FLOAT = sa.Double()

songplays = sa.Table(
    "songplays",
    metadata,
    sa.Column("songplay_id", sa.String(32), nullable=False, comment="md5 of the event's identity"),
    sa.Column("start_time", sa.TIMESTAMP, nullable=False),
    sa.Column("user_id", sa.Integer),
    sa.Column("level", sa.String(8)),
    sa.Column("song_id", sa.String(32)),
    sa.Column("artist_id", sa.String(32)),
    sa.Column("session_id", sa.Integer),
    sa.Column("location", NAME),
    sa.Column("user_agent", TEXT),
    sa.Column("song_title", TEXT, comment="the title the event names, kept for plays no catalog song matched yet"),
    sa.Column("artist_name", TEXT, comment="the artist the event names"),
    sa.Column("song_length", FLOAT, comment="the duration the event gives, in seconds"),
    # EVEN, not DISTKEY(song_id): most plays match no catalog song, and a NULL key puts them all on one slice.
    # No other column is both well spread and joined on; every dimension is DISTSTYLE ALL, so joins stay local.
    redshift_diststyle="EVEN",
    redshift_sortkey="start_time",
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("user_id", sa.Integer, nullable=False),
    sa.Column("first_name", NAME),
    sa.Column("last_name", NAME),
    sa.Column("gender", sa.String(8)),
    sa.Column("level", sa.String(8)),
    sa.Column(
        "last_seen_at",
        sa.TIMESTAMP,
        comment="ts of the event the row was taken from: a later window never loses to an earlier one",
    ),
    redshift_diststyle="ALL",
    redshift_sortkey="user_id",
)

songs = sa.Table(
    "songs",
    metadata,
    sa.Column("song_id", sa.String(32), nullable=False),
    sa.Column("title", TEXT),
    sa.Column("artist_id", sa.String(32)),
    sa.Column("year", sa.Integer),
    sa.Column("duration", FLOAT),
    # a copy on every node, like the other dimensions: the catalog is small, and songplays is spread EVEN
    redshift_diststyle="ALL",
    redshift_sortkey="song_id",
)

artists = sa.Table(
    "artists",
    metadata,
    sa.Column("artist_id", sa.String(32), nullable=False),
    sa.Column("name", TEXT),
    sa.Column("location", TEXT),
    sa.Column("latitude", FLOAT),
    sa.Column("longitude", FLOAT),
    redshift_diststyle="ALL",
    redshift_sortkey="artist_id",
)

time_table = sa.Table(
    "time",
    metadata,
    sa.Column("start_time", sa.TIMESTAMP, nullable=False),
    sa.Column("hour", sa.Integer),
    sa.Column("day", sa.Integer),
    sa.Column("week", sa.Integer),
    sa.Column("month", sa.Integer),
    sa.Column("year", sa.Integer),
    sa.Column("weekday", sa.Integer),
    redshift_diststyle="ALL",
    redshift_sortkey="start_time",
)

rejected_records = sa.Table(
    "rejected_records",
    metadata,
    sa.Column("run_key", sa.String(32), nullable=False, comment="the run that read the record last"),
    sa.Column("feed", sa.String(8), nullable=False, comment="events or songs"),
    sa.Column("source_object", TEXT, nullable=False, comment="URL or path of the file, as the source names it"),
    sa.Column("line_number", sa.Integer, comment="1-based; 1 for a song file, which is one record"),
    sa.Column("reason", TEXT, nullable=False),
    # 1,000 characters are kept; Redshift counts VARCHAR length in bytes, up to 4 a character
    sa.Column("raw_text", sa.String(4000)),
    sa.Column("rejected_at", sa.TIMESTAMP, nullable=False),
    redshift_diststyle="EVEN",
)
"""Bad source records, never loaded: each run replaces the rejects of the objects it reads."""

song_catalog = sa.Table(
    "song_catalog",
    metadata,
    sa.Column("song_id", sa.String(32), nullable=False),
    sa.Column("artist_id", sa.String(32)),
    sa.Column("title", TEXT),
    sa.Column("artist_name", TEXT, comment="as the song file names the artist: what an event's artist matches"),
    sa.Column("duration", FLOAT),
    sa.Column("year", sa.Integer),
    sa.Column("artist_location", TEXT),
    sa.Column("artist_latitude", FLOAT),
    sa.Column("artist_longitude", FLOAT),
    sa.Column("source_object", TEXT, comment="the song file this entry was read from"),
    sa.Column("source_modified_at", sa.TIMESTAMP, comment="its last modification: the latest file of an id wins"),
    redshift_diststyle="ALL",
    redshift_sortkey="title",
)
"""Every song_id of the catalog once, as the song file modified last gives it: plays are matched against this, and
``songs`` and ``artists`` are derived from it, so the same files give the same warehouse in whatever order they
arrived. A run stages only the song files that are new or changed."""

loaded_objects = sa.Table(
    "loaded_objects",
    metadata,
    sa.Column("feed", sa.String(8), nullable=False, comment="events or songs"),
    sa.Column("source_object", TEXT, nullable=False, comment="URL or path of the file, as the source names it"),
    sa.Column("object_identity", NAME, nullable=False, comment="the S3 ETag, or size:mtime_ns of a local file"),
    sa.Column("window_start", sa.TIMESTAMP, nullable=False, comment="the facts loaded from it; all time for songs"),
    sa.Column("window_end", sa.TIMESTAMP, nullable=False),
    sa.Column("rows_staged", sa.Integer, nullable=False),
    sa.Column("rows_rejected", sa.Integer, nullable=False),
    sa.Column("run_key", sa.String(32), nullable=False, comment="the run that loaded it last"),
    sa.Column("loaded_at", sa.TIMESTAMP, nullable=False),
    redshift_diststyle="ALL",
    redshift_sortkey="source_object",
)
"""The ledger: which source object each window (for songs: the catalog) was last loaded from, and as what.
A song file it holds unchanged is not read again; an event file that changed since has its windows reloaded."""

check_results = sa.Table(
    "check_results",
    metadata,
    sa.Column("run_key", sa.String(32), nullable=False, comment="the run that checked"),
    sa.Column("window_start", sa.TIMESTAMP, nullable=False, comment="the window it loaded; all time for an audit"),
    sa.Column("window_end", sa.TIMESTAMP, nullable=False),
    sa.Column("check_name", NAME, nullable=False, comment="e.g. unique(songplays.songplay_id)"),
    sa.Column("severity", sa.String(8), nullable=False, comment="error (fails the run) or warn"),
    sa.Column("observed", FLOAT, comment="what the check measured; NULL when it was skipped"),
    sa.Column("expected", NAME, nullable=False),
    sa.Column("passed", sa.Boolean, nullable=False),
    sa.Column("detail", TEXT, comment="the result as the run reported it"),
    sa.Column("checked_at", sa.TIMESTAMP, nullable=False),
    redshift_diststyle="EVEN",
    redshift_sortkey="checked_at",
)
"""Every check result of every run, appended: a re-run adds its own rows and never rewrites another run's."""

mart_definitions = sa.Table(
    "mart_definitions",
    metadata,
    sa.Column("view_name", sa.String(128), nullable=False),
    sa.Column("definition_sha256", sa.String(64), nullable=False, comment="of the sql/marts file it was created from"),
    sa.Column("created_at", sa.TIMESTAMP, nullable=False),
    redshift_diststyle="ALL",
)
"""Which definition each mart view was last created from: a view is replaced only when its file changed."""

#: The star schema in load order: the fact first, then its dimensions.
STAR_SCHEMA: tuple[sa.Table, ...] = (songplays, users, songs, artists, time_table)
#: Loaded from a window's events; songs and artists are loaded with the catalog (``sql/load/catalog/``).
DIMENSIONS: tuple[str, ...] = ("users", "time")
#: Created beside the star schema on every engine.
BOOKKEEPING: tuple[sa.Table, ...] = (rejected_records, song_catalog, loaded_objects, check_results, mart_definitions)

#: The one order every transaction that locks takes its locks in: a run holding a later table never waits for an
#: earlier one, so two runs cannot wait on each other. A transaction locks every one of these it reads or writes.
LOCK_ORDER: tuple[str, ...] = (
    "song_catalog",
    "songs",
    "artists",
    "songplays",
    "users",
    "time",
    "rejected_records",
    "loaded_objects",
    "check_results",
    "mart_definitions",
)

#: Indexes for what the hourly statements look up by key or filter by time, on the engines that have indexes
#: (PostgreSQL). Redshift prunes by its sort keys (the table options above); DuckDB by its zone maps. None is unique:
#: the quality checks judge uniqueness on every engine alike, and say what they found.
INDEXES: tuple[sa.Index, ...] = (
    sa.Index("songplays_songplay_id", songplays.c.songplay_id),
    sa.Index("songplays_start_time", songplays.c.start_time),
    sa.Index("songplays_song_match", songplays.c.song_title, songplays.c.artist_name, songplays.c.song_length),
    sa.Index("users_user_id", users.c.user_id),
    sa.Index("songs_song_id", songs.c.song_id),
    sa.Index("artists_artist_id", artists.c.artist_id),
    sa.Index("artists_name", artists.c.name),
    sa.Index("time_start_time", time_table.c.start_time),
    sa.Index("song_catalog_song_id", song_catalog.c.song_id),
    sa.Index("song_catalog_match", song_catalog.c.title, song_catalog.c.artist_name, song_catalog.c.duration),
    sa.Index("rejected_records_object", rejected_records.c.feed, rejected_records.c.source_object),
    sa.Index("rejected_records_run", rejected_records.c.run_key, rejected_records.c.feed),
    sa.Index("loaded_objects_object", loaded_objects.c.feed, loaded_objects.c.source_object),
    sa.Index("loaded_objects_run", loaded_objects.c.run_key, loaded_objects.c.feed),
    sa.Index("check_results_checked_at", check_results.c.checked_at),
)


def window_table(table: sa.Table, name: str) -> sa.Table:
    """A run's own copy of a star-schema table: the rows it will publish, built before anything is locked."""
    return sa.Table(
        name,
        sa.MetaData(),
        *(sa.Column(column.name, column.type) for column in table.columns),
        redshift_diststyle="EVEN",
    )


def staging_events(name: str) -> sa.Table:
    """A run's private copy of the event log, columns named like the JSON keys (lower-cased).

    The names match the source keys so Redshift's ``COPY … JSON 'auto ignorecase'``
    maps them without a JSONPaths file.
    """
    return sa.Table(
        name,
        sa.MetaData(),
        sa.Column("artist", TEXT),
        sa.Column("auth", NAME),
        sa.Column("firstname", NAME),
        sa.Column("gender", sa.String(8)),
        sa.Column("iteminsession", sa.Integer),
        sa.Column("lastname", NAME),
        sa.Column("length", FLOAT),
        sa.Column("level", sa.String(8)),
        sa.Column("location", NAME),
        sa.Column("method", sa.String(8)),
        sa.Column("page", NAME),
        sa.Column("registration", FLOAT),
        sa.Column("sessionid", sa.Integer),
        sa.Column("song", TEXT),
        sa.Column("status", sa.Integer),
        sa.Column("ts", sa.TIMESTAMP, comment="epoch milliseconds in the source"),
        sa.Column("useragent", TEXT),
        sa.Column("userid", sa.String(16), comment='a string in the source, "" when logged out'),
        redshift_diststyle="EVEN",
    )


def staging_songs(name: str) -> sa.Table:
    """A run's private copy of the song catalog, columns named like the JSON keys, and the file of each row.

    Redshift fills ``source_object`` and ``source_modified_at`` from the compacted parts' keys of the same names.
    """
    return sa.Table(
        name,
        sa.MetaData(),
        sa.Column("num_songs", sa.Integer),
        sa.Column("artist_id", sa.String(32)),
        sa.Column("artist_latitude", FLOAT),
        sa.Column("artist_longitude", FLOAT),
        sa.Column("artist_location", TEXT),
        sa.Column("artist_name", TEXT),
        sa.Column("song_id", sa.String(32)),
        sa.Column("title", TEXT),
        sa.Column("duration", FLOAT),
        sa.Column("year", sa.Integer),
        sa.Column("source_object", TEXT, comment="the song file's URL, as the ledger names it"),
        sa.Column("source_modified_at", sa.TIMESTAMP, comment="the song file's last modification (UTC)"),
        redshift_diststyle="EVEN",
    )
