"""PostgreSQL as the warehouse: COPY staging, the shared SQL unchanged, tables identical to DuckDB's.

Every test runs on a real PostgreSQL 15 server (``pg_url``: a fresh database per
test); the runs from S3 read a real moto server on loopback.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bench.services import S3Server, upload_tree
from flows.etl.flow import sparkify_etl
from sparkify.run import LoadRun
from sparkify.sources import open_source
from sparkify.warehouse import Warehouse, connect
from sparkify.window import Window
from tests.support.helpers import duckdb_url, rows, star_contents
from tests.support.samples import CATALOG, EVENTS, new_bucket, real_sample, use_s3, write_feeds


def staged(warehouse: Warehouse, root: Path) -> dict[str, list[dict[str, Any]]]:
    """Both staging tables of a fresh run over ``root``, rows sorted."""
    source = open_source(str(root))
    run = LoadRun.new(Window.everything())
    contents = {}
    for name, table, stage, keys in (
        ("events", run.staging_events, warehouse.stage_events, source.event_keys(run.window)),
        ("songs", run.staging_songs, warehouse.stage_songs, source.song_objects()),
    ):
        warehouse.create_staging(table)
        assert stage(table, source, keys) > 0
        with warehouse.engine.connect() as conn:
            found = [dict(row._mapping) for row in conn.execute(sa.select(table))]
        contents[name] = sorted(found, key=lambda row: tuple(map(str, row.values())))
    return contents


def test_staging_through_copy_holds_what_duckdb_reads_from_the_same_files(tmp_path: Path, pg_url: str) -> None:
    root = write_feeds(tmp_path / "source")
    on_postgres = staged(connect(pg_url), root)
    on_duckdb = staged(connect(duckdb_url(tmp_path)), root)

    assert on_postgres == on_duckdb
    assert len(on_postgres["events"]) == len(EVENTS)
    # epoch milliseconds became exact timestamps; camelCase keys found their columns
    first = min(on_postgres["events"], key=lambda row: row["ts"])
    assert first["ts"] == datetime(2018, 11, 1, 10, 0, 0, 100000)
    assert (first["firstname"], first["iteminsession"], first["sessionid"], first["userid"]) == ("Kaylee", 0, 139, "8")
    # the pretty-printed song file was read whole
    assert {row["title"] for row in on_postgres["songs"]} == {song["title"] for song in CATALOG}


def test_a_malformed_event_line_is_rejected_with_its_file_and_line(tmp_path: Path, pg_url: str) -> None:
    root = write_feeds(tmp_path / "source")
    log = next((root / "log_data").rglob("2018-11-01-events.json"))
    lines = log.read_text(encoding="utf-8").split("\n")
    lines[1] = lines[1][:40]
    log.write_text("\n".join(lines), encoding="utf-8")
    source = open_source(str(root))
    warehouse = connect(pg_url)
    table = LoadRun.new(Window.everything()).staging_events
    warehouse.create_staging(table)

    staged = warehouse.stage_events(table, source, source.event_keys(Window.everything()), "run1")
    # the other lines are staged; the cut one is kept aside, where it came from and why
    assert staged == warehouse.row_count(table.name) == len(EVENTS) - 1
    assert rows(pg_url, "SELECT source_object, line_number, raw_text FROM rejected_records") == [
        (f"{root}/{log.relative_to(root).as_posix()}", 2, lines[1])
    ]


def test_a_plain_postgresql_url_is_served_by_psycopg(pg_url: str) -> None:
    warehouse = connect(pg_url.replace("postgresql+psycopg://", "postgresql://"))
    assert warehouse.engine.dialect.driver == "psycopg"
    assert warehouse.row_count("pg_class") > 0


def test_a_run_from_s3_into_postgresql_gives_duckdbs_tables(
    tmp_path: Path, pg_url: str, s3_server: S3Server, monkeypatch: pytest.MonkeyPatch, prefect_harness: None
) -> None:
    root = write_feeds(tmp_path / "source")
    use_s3(s3_server, monkeypatch)
    bucket = new_bucket()
    upload_tree(s3_server, bucket, "raw/sparkify", root)

    on_postgres = sparkify_etl(source=f"s3://{bucket}/raw/sparkify", warehouse=pg_url)
    on_duckdb = sparkify_etl(source=str(root), warehouse=duckdb_url(tmp_path))

    assert on_postgres == on_duckdb
    assert on_postgres.staged_events == len(EVENTS)
    tables = star_contents(pg_url)
    assert tables == star_contents(duckdb_url(tmp_path))
    assert rows(pg_url, "SELECT user_id, level FROM users ORDER BY user_id") == [(8, "paid"), (15, "free")]


def test_a_window_rerun_on_postgresql_replaces_its_facts(tmp_path: Path, pg_url: str, prefect_harness: None) -> None:
    root = write_feeds(tmp_path / "source")
    sparkify_etl(source=str(root), warehouse=pg_url)
    everything = star_contents(pg_url)

    november_2 = {"window_start": datetime(2018, 11, 2), "window_end": datetime(2018, 11, 3)}
    summary = sparkify_etl(source=str(root), warehouse=pg_url, **november_2)

    assert summary.songplays_loaded == 2
    assert star_contents(pg_url) == everything


def test_the_real_sample_served_from_s3_loads_identically_into_postgresql_and_duckdb(
    tmp_path: Path, pg_url: str, s3_server: S3Server, monkeypatch: pytest.MonkeyPatch, prefect_harness: None
) -> None:
    sample = real_sample()
    events = [
        json.loads(line)
        for log in sorted((sample / "log_data").rglob("*.json"))
        for line in log.read_text(encoding="utf-8").split("\n")
        if line.strip()
    ]
    plays = {(e["userId"], e["sessionId"], e["itemInSession"]) for e in events if e["page"] == "NextSong"}
    use_s3(s3_server, monkeypatch)
    bucket = new_bucket()
    upload_tree(s3_server, bucket, "udacity", sample)
    source = f"s3://{bucket}/udacity"

    on_postgres = sparkify_etl(source=source, warehouse=pg_url)
    on_duckdb = sparkify_etl(source=source, warehouse=duckdb_url(tmp_path))

    assert on_postgres == on_duckdb
    assert on_postgres.staged_events == len(events)
    assert on_postgres.staged_songs == len(list((sample / "song_data").rglob("*.json")))
    assert on_postgres.songplays_loaded == len(plays)
    tables = star_contents(pg_url)
    # floats included: both engines parse the JSON's decimal text to the same nearest double
    assert tables == star_contents(duckdb_url(tmp_path))
    assert all(tables.values())
