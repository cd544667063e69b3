"""Runs in flight together (the deployment allows 3) and what runs leave behind.

Three windows loaded at once by three processes must give the tables that
loading them one after another gives; staging is per run and leaves nothing
behind, also after a window without plays or a run that crashed long ago.
"""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bench.services import PostgresServer, PrefectServer, create_database
from flows.etl.flow import sparkify_etl
from sparkify import quality, steps
from sparkify.errors import DataQualityError
from sparkify.ledger import FeedChanges
from sparkify.run import STALE_AFTER, WINDOW_TABLES, LoadRun
from sparkify.sample import GeneratorConfig, generate
from sparkify.sources import LocalSource
from sparkify.warehouse import connect
from sparkify.window import Window
from tests.support import flow_runs
from tests.support.factories import event, song, write_source
from tests.support.helpers import duckdb_url, rows, star_contents

#: Three days, one window each; users play on several days, so every dimension is upserted by every run.
CONFIG = GeneratorConfig(events=3000, songs=300, users=30, days=3)
WINDOWS = [Window(datetime(2018, 11, day), datetime(2018, 11, day + 1)) for day in (1, 2, 3)]


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(generate(tmp_path_factory.mktemp("source"), CONFIG).root)


def window_args(window: Window) -> list[str]:
    return ["--window-start", window.start.isoformat(), "--window-end", window.end.isoformat()]


def test_three_windows_loaded_at_once_give_the_tables_of_loading_them_in_turn(
    source: str, pg_url: str, postgres: PostgresServer, prefect_api: PrefectServer
) -> None:
    in_turn = create_database(postgres, f"in_turn_{uuid.uuid4().hex[:8]}")
    for window in WINDOWS:
        flow_runs.finish(flow_runs.start(prefect_api, "--source", source, "--warehouse", in_turn, *window_args(window)))

    # an empty warehouse: the three also race to create the tables
    runs = [
        flow_runs.start(prefect_api, "--source", source, "--warehouse", pg_url, *window_args(window))
        for window in WINDOWS
    ]
    for run in runs:
        flow_runs.finish(run)

    expected = star_contents(in_turn)
    assert all(expected.values())
    assert star_contents(pg_url) == expected
    assert connect(pg_url).staging_tables() == []


@pytest.mark.parametrize("script", ["users", "catalog"])
def test_two_runs_upserting_one_dimension_take_turns_on_postgresql(script: str, source: str, pg_url: str) -> None:
    """Under READ COMMITTED, two delete+insert upserts in flight together would both insert the same keys.

    The catalog script upserts songs and artists (and the catalog) for the new song files; a window's publication
    upserts users and time.
    """
    warehouse = connect(pg_url)
    warehouse.create_tables()
    local = LocalSource(Path(source))
    songs = FeedChanges.sort("songs", local.song_objects(), local.uri, [])  # all new to an empty ledger
    first, second = (LoadRun.new(window) for window in WINDOWS[:2])
    for run in (first, second):
        steps.stage_events(warehouse, local, run)
        steps.stage_songs(warehouse, local, run, songs)
        for table in WINDOW_TABLES:
            steps.build_window_table(warehouse, run, table)
    thresholds = quality.Thresholds()
    second_load = {
        "users": lambda: steps.publish_window(
            warehouse, local, second, local.event_objects(second.window), quality.window_checks(), thresholds
        ),
        "catalog": lambda: steps.load_catalog(warehouse, local, second, songs, thresholds),
    }[script]
    folder = {"users": "publish/users", "catalog": "load/catalog"}[script]
    statements = [(path, first.staging_tables) for path in warehouse.script(folder)]

    with warehouse.transaction(warehouse.tables_of(statements)) as conn:  # the first run's upsert, not yet committed
        warehouse.run_script(conn, folder, first.staging_tables, first.window.params())
        other = threading.Thread(target=second_load)
        other.start()
        time.sleep(1)
        assert other.is_alive(), "the second upsert did not wait for the first"
    other.join(30)

    dimension, key = {"users": ("users", "user_id"), "catalog": ("songs", "song_id")}[script]
    assert rows(pg_url, f"SELECT {key} FROM {dimension} GROUP BY {key} HAVING COUNT(*) > 1") == []
    assert rows(pg_url, f"SELECT COUNT(*) FROM {dimension}")[0][0] > 0


@pytest.mark.usefixtures("prefect_harness")
def test_a_quiet_hour_completes_a_window_without_its_day_file_fails_and_neither_leaves_staging_behind(
    tmp_path: Path,
) -> None:
    source = str(write_source(tmp_path / "source", [event("2018-11-01T10:00:00.100")], [song("SOX", "Song")]))
    url = duckdb_url(tmp_path)
    day = sparkify_etl(
        source=source, warehouse=url, window_start=datetime(2018, 11, 1), window_end=datetime(2018, 11, 2)
    )
    quiet = sparkify_etl(
        source=source, warehouse=url, window_start=datetime(2018, 11, 1, 3), window_end=datetime(2018, 11, 1, 4)
    )
    assert (day.songplays_loaded, quiet.songplays_loaded) == (1, 0)
    assert rows(url, "SELECT COUNT(*) FROM songplays") == [(1,)]
    with pytest.raises(DataQualityError, match=r"delivered\(songplays\) error FAILED.*no readable file for 2019-01-01"):
        sparkify_etl(source=source, warehouse=url, window_start=datetime(2019, 1, 1), window_end=datetime(2019, 1, 2))
    assert connect(url).staging_tables() == []


@pytest.mark.usefixtures("prefect_harness")
def test_a_run_sweeps_the_staging_tables_crashed_runs_left_over_a_day_ago(source: str, tmp_path: Path) -> None:
    url = duckdb_url(tmp_path)
    warehouse = connect(url)
    now = datetime.now(UTC)
    old = LoadRun.new(WINDOWS[0], started=now - STALE_AFTER - timedelta(minutes=5))
    recent = LoadRun.new(WINDOWS[0], started=now - timedelta(hours=2))  # may still be running: kept
    for run in (old, recent):
        warehouse.create_staging(run.staging_events)
        warehouse.create_staging(run.staging_songs)
    warehouse.engine.dispose()

    sparkify_etl(source=source, warehouse=url, window_start=WINDOWS[1].start, window_end=WINDOWS[1].end)

    assert connect(url).staging_tables() == sorted([recent.staging_events.name, recent.staging_songs.name])
