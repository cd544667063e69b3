"""PostgreSQL staging: the pipeline's COPY against the classic per-row INSERTs.

The COPY side is the project's own staging (``connect(url).stage_events(...)``, whatever it does at
the time: streaming the files through psycopg's ``COPY … FROM STDIN``), timed on every event of the
source. The classic side does what the classic Sparkify ETL scripts do: parse each event and send it
with one ``cursor.execute("INSERT …", row)``, committing after each file; it is timed on a sample of
whole day files, and the COPY is timed again on that same sample. Both fill the same staging table
layout (``sparkify.schema.staging_events``) and their row counts are checked equal.

A third measurement bounds what any COPY could do here: the files' bytes streamed verbatim into a
one-column table, parsed by nobody (the COPY ceiling).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy as sa
from psycopg import sql

from sparkify import schema
from sparkify.sources import LocalSource
from sparkify.warehouse import Warehouse, connect
from sparkify.window import Window

SQL_DIR = Path(__file__).resolve().parent / "sql" / "postgres"
#: The measurements, in the order they run.
PARTS = ("copy", "insert", "ceiling")
#: Bytes streamed at a time by the ceiling measurement.
CHUNK_BYTES = 1 << 20
_EPOCH = datetime(1970, 1, 1)


def sample_keys(source: LocalSource, keys: list[str], events: int) -> tuple[list[str], int]:
    """The first whole day files holding at least ``events`` events, and how many they hold."""
    chosen, count = [], 0
    for key in keys:
        if count >= events:
            break
        with source.open(key) as stream:
            count += sum(1 for line in stream if line.strip())
        chosen.append(key)
    return chosen, count


def _copy(warehouse: Warehouse, source: LocalSource, keys: list[str], name: str) -> tuple[int, float]:
    table = schema.staging_events(name)
    warehouse.create_staging(table)
    try:
        started = time.perf_counter()
        staged = warehouse.stage_events(table, source, keys)
        return staged, time.perf_counter() - started
    finally:
        warehouse.drop_staging(table)


def _insert_row_by_row(
    warehouse: Warehouse, url: str, source: LocalSource, keys: list[str], name: str
) -> tuple[int, float]:
    table = schema.staging_events(name)
    warehouse.create_staging(table)
    statement = _statement("insert_staging_event", name)
    try:
        started = time.perf_counter()
        with psycopg.connect(_libpq(url)) as connection, connection.cursor() as cursor:
            query = statement.as_string(connection)  # composed once, as a script's constant would be
            for key in keys:
                with source.open(key) as stream:
                    for line in stream:
                        if not line.strip():
                            continue
                        event = json.loads(line)
                        if event.get("ts") is not None:
                            event["ts"] = _EPOCH + timedelta(milliseconds=event["ts"])
                        cursor.execute(query, event)
                connection.commit()
        seconds = time.perf_counter() - started
        return warehouse.row_count(name), seconds
    finally:
        warehouse.drop_staging(table)


def _copy_verbatim(url: str, source: LocalSource, keys: list[str], name: str) -> tuple[int, float]:
    """The COPY ceiling: every file's bytes into one text column, one row per line, nothing parsed."""
    with psycopg.connect(_libpq(url)) as connection, connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(_statement("create_raw_lines", name))
        with cursor.copy(_statement("copy_raw_lines", name)) as copy:
            for key in keys:
                with source.open(key) as stream:
                    while chunk := stream.read(CHUNK_BYTES):
                        copy.write(chunk)
                copy.write(b"\n")  # the day files end without one
        connection.commit()
        seconds = time.perf_counter() - started
        copied = cursor.execute(_statement("count_raw_lines", name)).fetchone()
    return int(copied[0]) if copied else 0, seconds


def _statement(name: str, table: str) -> sql.Composed:
    return sql.SQL((SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")).format(table=sql.Identifier(table))


def _libpq(url: str) -> str:
    return sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def measure(url: str, root: Path, sample_events: int, parts: tuple[str, ...] = PARTS) -> dict[str, Any]:
    """COPY of every event, COPY and per-row INSERTs of the same sample, the COPY ceiling; events per second."""
    source = LocalSource(root)
    warehouse = connect(url)
    result: dict[str, Any] = {}
    try:
        keys = source.event_keys(Window.everything())
        sample, sample_count = sample_keys(source, keys, sample_events)
        if "copy" in parts:
            copied, seconds = _copy(warehouse, source, keys, "bench_copy_all")
            result.update(copy_events=copied, copy_seconds=seconds, copy_events_per_second=copied / seconds)
            sample_copied, seconds = _copy(warehouse, source, sample, "bench_copy_sample")
            _check(sample_copied, sample_count, "COPY of the sample")
            result.update(sample_copy_seconds=seconds, sample_copy_events_per_second=sample_copied / seconds)
        if "insert" in parts:
            inserted, seconds = _insert_row_by_row(warehouse, url, source, sample, "bench_insert_sample")
            _check(inserted, sample_count, "per-row INSERTs of the sample")
            result.update(insert_seconds=seconds, insert_events_per_second=inserted / seconds)
        if "ceiling" in parts:
            verbatim, seconds = _copy_verbatim(url, source, keys, "bench_raw_lines")
            if "copy_events" in result:
                _check(verbatim, result["copy_events"], "the COPY ceiling (lines, against the events staged)")
            result.update(ceiling_seconds=seconds, ceiling_events_per_second=verbatim / seconds)
        result.update(sample_files=len(sample), sample_events=sample_count)
        with warehouse.engine.connect() as connection:
            setting = sa.text("SELECT current_setting(:name)")
            result["server_version"] = connection.execute(setting, {"name": "server_version"}).scalar_one()
            result["server_settings"] = {
                name: connection.execute(setting, {"name": name}).scalar_one()
                for name in ("fsync", "synchronous_commit", "shared_buffers")
            }
    finally:
        warehouse.engine.dispose()
    return result


def _check(rows: int, expected: int, what: str) -> None:
    if rows != expected:
        raise RuntimeError(f"{what} stored {rows} rows, not {expected}")


def main(argv: list[str] | None = None) -> int:
    """One or more of the measurements on a given database, printed as JSON (what ``bench.profile`` samples)."""
    parser = argparse.ArgumentParser(prog="python -m bench.pg_staging", description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="postgresql+psycopg:// URL of a database to stage into")
    parser.add_argument("--source", type=Path, required=True, help="folder with song_data/ and log_data/")
    parser.add_argument("--sample-events", type=int, default=20_000, help="events of the INSERT sample")
    parser.add_argument("--only", choices=PARTS, action="append", help="measure only this (repeatable)")
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.url, args.source, args.sample_events, tuple(args.only or PARTS))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
