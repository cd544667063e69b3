"""Redshift's own judgement of staged rows, run for real: the Redshift SQL files on the PostgreSQL server.

COPY cannot tell a userId that is no whole number, a ts out of range or a text it
truncated; the files under ``sql/redshift/screen/`` do, after the COPY. The functions
they use (``!~``, ``CHR``, ``OCTET_LENGTH``, ``LEFT``) are PostgreSQL's too, so their
effect is checked on a real server; which records must go is computed independently,
by ``sparkify/records.py``'s rules (what the other engines reject) and the schema's widths.
"""

from __future__ import annotations

import json
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy_redshift.dialect import RedshiftDialect_redshift_connector

from sparkify import records, schema, sql
from sparkify.warehouse.redshift import SCREENING, screened_staging, screening_params
from tests.support.factories import event, song

STAGING = "staging_events_screen"
EVENTS = [
    event("2018-11-01T10:00:00.100", item=0),
    event("2018-11-01T10:01:00.100", item=1, user_id="", page="Home"),  # logged out: blank is fine, but not on a play
    event("2018-11-01T10:02:00.100", item=2, user_id="abc"),
    event("2018-11-01T10:03:00.100", item=3, user_id="1234567890"),  # more than an INTEGER's 9 safe digits
    event("2018-11-01T10:04:00.100", item=4, artist="é" * 513),  # 513 characters, 1,026 bytes: over 1,024
    event("2018-11-01T10:05:00.100", item=5, artist="a" * 1024),  # exactly as wide as the column
    {**event("2018-11-01T10:06:00.100", item=6), "ts": -1},
    {**event("2018-11-01T10:07:00.100", item=7), "ts": records.MAX_TS + 1},
    {**event("2018-11-01T10:08:00.100", item=8), "userAgent": "x" * 5000},
]


def too_wide(record: dict) -> bool:
    columns = schema.staging_events(STAGING).c
    return any(
        isinstance(value, str) and len(value.encode()) > columns[name.lower()].type.length
        for name, value in record.items()
        if isinstance(columns[name.lower()].type, sa.String)
    )


def cut(value: object, column: sa.Column) -> object:
    """What TRUNCATECOLUMNS makes of a value: its bytes up to the column's width, no character split."""
    if not isinstance(value, str):
        return value
    return value.encode()[: column.type.length].decode(errors="ignore")


def test_the_staged_rows_other_engines_reject_are_moved_to_rejected_records(pg_url: str) -> None:
    expected = {
        record["itemInSession"]
        for record in EVENTS
        if isinstance(records.parse_event(json.dumps(record).encode()), str) or too_wide(record)
    }
    assert expected == {2, 3, 4, 6, 7, 8}, "the input must hold each kind of bad record"
    engine = sa.create_engine(pg_url)
    staging = screened_staging(schema.staging_events(STAGING))
    with engine.begin() as conn:
        schema.rejected_records.create(conn, checkfirst=True)
        staging.create(conn)
        for record in EVENTS:  # as COPY loads them: names lower-cased, ts from epoch milliseconds, TRUNCATECOLUMNS
            values = {
                name.lower(): cut(value, staging.c[name.lower()]) for name, value in record.items() if name != "ts"
            }
            conn.execute(
                sa.text(
                    f"INSERT INTO {STAGING} ({', '.join(values)}, ts) "
                    f"VALUES ({', '.join(f':{name}' for name in values)}, "
                    "TIMESTAMP '1970-01-01' + :ts * INTERVAL '1 millisecond')"
                ),
                {**values, "ts": record["ts"]},
            )
        redshift = RedshiftDialect_redshift_connector()
        for path in sql.script(f"{SCREENING}/events", "redshift"):
            conn.execute(
                sa.text(sql.render(path, redshift, {"staging_events": STAGING})),
                screening_params("r1", "s3://b/log_data/x.json", datetime(2018, 11, 2)),
            )
        staged = set(conn.execute(sa.text(f"SELECT iteminsession FROM {STAGING}")).scalars())
        rejected = conn.execute(
            sa.text("SELECT reason, raw_text FROM rejected_records WHERE run_key = 'r1' ORDER BY raw_text")
        ).all()
    assert staged == {record["itemInSession"] for record in EVENTS} - expected
    assert sorted(int(raw.rsplit(" ", 1)[1]) for _, raw in rejected) == sorted(expected)
    reasons = {raw.rsplit(" ", 1)[1]: reason for reason, raw in rejected}
    assert reasons["2"] == 'userId is not a whole number or blank: "abc"'
    assert reasons["6"].startswith("ts is not epoch milliseconds")
    assert reasons["4"] == "artist is longer than 1024 bytes"
    assert reasons["8"] == "userAgent is longer than 1024 bytes"


def test_a_staged_song_too_wide_for_its_column_is_rejected_under_its_own_song_file(pg_url: str) -> None:
    """The compacted parts carry each song's file: its reject names that file, not the parts or the COPY."""
    staging = screened_staging(schema.staging_songs("staging_songs_screen"))
    wide = "é" * 513  # 1,026 bytes: over the 1,024 of songs.title, within the staging column's 1,028
    songs = {
        "s3://b/song_data/A/TRA1.json": song("SO1", "Fine"),
        "s3://b/song_data/A/TRA2.json": song("SO2", wide),
        "s3://b/song_data/B/TRA3.json": song("SO3", "Also fine", artist_id="AR" + "X" * 31),  # 33 bytes: over 32
    }
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        schema.rejected_records.create(conn, checkfirst=True)
        staging.create(conn)
        for url, record in songs.items():  # as COPY loads the parts: the fields, the object and its LastModified
            conn.execute(staging.insert(), {**record, "source_object": url, "source_modified_at": datetime(2018, 1, 1)})
        redshift = RedshiftDialect_redshift_connector()
        for path in sql.script(f"{SCREENING}/songs", "redshift"):
            conn.execute(
                sa.text(sql.render(path, redshift, {"staging_songs": staging.name})),
                {"run_key": "r1", "rejected_at": datetime(2018, 11, 2)},
            )
        staged = set(conn.execute(sa.text(f"SELECT source_object FROM {staging.name}")).scalars())
        rejected = conn.execute(
            sa.text("SELECT source_object, line_number, reason FROM rejected_records WHERE run_key = 'r1'")
        ).all()
    assert staged == {"s3://b/song_data/A/TRA1.json"}
    assert sorted(rejected) == [
        ("s3://b/song_data/A/TRA2.json", 1, "title is longer than 1024 bytes"),
        ("s3://b/song_data/B/TRA3.json", 1, "artist_id is longer than 32 bytes"),
    ]
