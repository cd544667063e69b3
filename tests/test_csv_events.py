"""CSV event logs load exactly like their JSON twins, on DuckDB and on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from bench.csv_logs import csv_log, to_csv_source
from bench.services import create_database
from flows.etl.flow import sparkify_etl
from sparkify.run import LoadRun
from sparkify.sources import SourceError, open_source
from sparkify.warehouse import connect
from sparkify.window import Window
from tests.support.helpers import duckdb_url, rows, star_contents
from tests.support.samples import EVENTS, QUOTED_TITLE, real_sample, write_feeds


@pytest.fixture(params=["duckdb", "postgresql"])
def new_warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[str], str]:
    """Makes empty warehouses of one engine: each call a new DuckDB file or PostgreSQL database."""
    if request.param == "duckdb":
        return lambda name: duckdb_url(tmp_path / name)
    server = request.getfixturevalue("postgres")
    return lambda name: create_database(server, f"t_csv_{name}_{uuid.uuid4().hex[:8]}")


def test_csv_and_json_logs_of_the_same_events_give_the_same_tables(
    tmp_path: Path, new_warehouse: Callable[[str], str], prefect_harness: None
) -> None:
    json_root = write_feeds(tmp_path / "json")
    # CRLF line ends, as RFC 4180 writes them; one title holds a quoted newline
    csv_root = to_csv_source(json_root, tmp_path / "csv", newline="\r\n")
    from_json, from_csv = new_warehouse("json"), new_warehouse("csv")

    json_run = sparkify_etl(source=str(json_root), warehouse=from_json)
    csv_run = sparkify_etl(source=str(csv_root), warehouse=from_csv, events_format="csv")

    assert csv_run == json_run
    assert csv_run.staged_events == len(EVENTS)
    assert star_contents(from_csv) == star_contents(from_json)
    # quotes, commas and a newline inside a field; "" stays the empty string, an empty field is null
    quoted_plays = "SELECT p.location FROM songplays p JOIN songs s ON s.song_id = p.song_id WHERE s.title = :title"
    assert rows(from_csv, quoted_plays, title=QUOTED_TITLE) == [("Phoenix-Mesa-Scottsdale, AZ",)]
    assert rows(from_csv, "SELECT COUNT(*) FROM songplays WHERE location = ''") == [(1,)]
    assert rows(from_csv, "SELECT first_name FROM users WHERE user_id = 15") == [("Zoë",)]


def test_a_csv_log_whose_header_is_not_the_layout_is_refused(
    tmp_path: Path, new_warehouse: Callable[[str], str]
) -> None:
    log = tmp_path / "csv/log_data/2018/11/2018-11-01-events.csv"
    log.parent.mkdir(parents=True)
    log.write_text(csv_log(EVENTS[:2]).replace("firstName,gender", "gender,firstName", 1), encoding="utf-8")
    source = open_source(str(tmp_path / "csv"), events_format="csv")
    warehouse = connect(new_warehouse("bad"))
    table = LoadRun.new(Window.everything()).staging_events
    warehouse.create_staging(table)

    with pytest.raises(SourceError, match=r"2018-11-01-events\.csv.*header"):
        warehouse.stage_events(table, source, source.event_keys(Window.everything()))


def test_the_real_sample_as_csv_loads_the_tables_its_json_loads(
    tmp_path: Path, new_warehouse: Callable[[str], str], prefect_harness: None
) -> None:
    csv_root = to_csv_source(real_sample(), tmp_path / "csv")
    from_json, from_csv = new_warehouse("json"), new_warehouse("csv")

    json_run = sparkify_etl(source=str(real_sample()), warehouse=from_json)
    csv_run = sparkify_etl(source=str(csv_root), warehouse=from_csv, events_format="csv")

    assert csv_run == json_run
    assert star_contents(from_csv) == star_contents(from_json)
