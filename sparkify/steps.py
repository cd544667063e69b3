"""What each step of a run does to the warehouse, shared by the flow's tasks and by ``plan``.

A task adds what only a real run has (logs, artifacts, failing on an empty
source); every warehouse call it makes goes through a function here. ``plan``
runs ``run_in_order`` on a recording engine, so it prints the statements these
functions issue rather than a second, hand-kept list of them.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from sparkify import quality, report, schema
from sparkify.records import Staged
from sparkify.run import LoadRun, stale_staging
from sparkify.sources import Source
from sparkify.warehouse import Warehouse


def create_tables(warehouse: Warehouse) -> None:
    warehouse.create_tables()


def stage_events(warehouse: Warehouse, source: Source, run: LoadRun) -> Staged:
    """A fresh staging table, then the window's event files; returns the events staged and rejected."""
    warehouse.create_staging(run.staging_events)
    staged = warehouse.stage_event_files(run.staging_events, source, run.window, run.key)
    return Staged("events", staged, warehouse.rejected(run.key, "events"))


def stage_songs(warehouse: Warehouse, source: Source, run: LoadRun) -> Staged:
    """A fresh staging table, then the whole catalog; returns the songs staged and rejected."""
    warehouse.create_staging(run.staging_songs)
    staged = warehouse.stage_song_files(run.staging_songs, source, run.key)
    return Staged("songs", staged, warehouse.rejected(run.key, "songs"))


def load_songplays(warehouse: Warehouse, run: LoadRun) -> int:
    """Replaces the window's facts in one transaction; returns the facts inserted."""
    return warehouse.run_script("load/songplays", run.staging_tables, run.window.params())[-1]


def load_dimension(warehouse: Warehouse, table: str, run: LoadRun) -> int:
    """Upserts one dimension in one transaction; returns the rows inserted."""
    return warehouse.run_script(f"load/{table}", run.staging_tables, run.window.params())[-1]


def check_quality(warehouse: Warehouse, run: LoadRun) -> tuple[list[quality.CheckResult], dict[str, int]]:
    """Every declared check's result, and each star-schema table's row count."""
    results = quality.evaluate(warehouse, quality.CHECKS, run.staging_tables, run.window.params())
    return results, {table.name: warehouse.row_count(table.name) for table in schema.STAR_SCHEMA}


def listening_report(warehouse: Warehouse, run: LoadRun) -> report.ListeningReport:
    """What users listened to in the run's window, read from the marts."""
    return report.read(warehouse, run.window)


def drop_staging(warehouse: Warehouse, run: LoadRun) -> None:
    """This run's staging tables, and those of runs that crashed over a day ago (a day: none still runs)."""
    stale = [sa.Table(name, sa.MetaData()) for name in stale_staging(warehouse.staging_tables())]
    for table in (run.staging_events, run.staging_songs, *stale):
        warehouse.drop_staging(table)


def run_in_order(
    warehouse: Warehouse,
    source: Source,
    run: LoadRun,
    announce: Callable[[str], None] = lambda step: None,
) -> list[quality.CheckResult]:
    """Every step once, one after another, in the flow's order, each announced by its task's name.

    The flow runs the two staging steps side by side, then the four dimensions;
    this is the same order with each group serialised in the order it is submitted.
    Returns the quality checks' results, which the flow's task would raise on.
    """
    announce("create-tables")
    create_tables(warehouse)
    announce("stage-events")
    stage_events(warehouse, source, run)
    announce("stage-songs")
    stage_songs(warehouse, source, run)
    announce("load-songplays")
    load_songplays(warehouse, run)
    for table in schema.DIMENSIONS:
        announce(f"load-{table}")
        load_dimension(warehouse, table, run)
    announce("run-quality-checks")
    results, _ = check_quality(warehouse, run)
    announce("drop-staging")
    drop_staging(warehouse, run)
    announce("listening-report")
    listening_report(warehouse, run)
    return results
