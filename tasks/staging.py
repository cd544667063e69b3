"""Step 2: copy the raw feeds into this run's staging tables (events and songs run side by side)."""

from __future__ import annotations

from prefect import get_run_logger, task

from sparkify import steps
from sparkify.run import LoadRun
from sparkify.sources import Source
from sparkify.warehouse import Warehouse
from tasks.policy import TASK_OPTIONS


@task(name="stage-events", **TASK_OPTIONS)
def stage_events(warehouse: Warehouse, source: Source, run: LoadRun) -> int:
    """Stages the day files of the run's window; returns the events staged."""
    staged = steps.stage_events(warehouse, source, run)
    get_run_logger().info("staged %d events from %s (%s)", staged, source.uri, run.window)
    return staged


@task(name="stage-songs", **TASK_OPTIONS)
def stage_songs(warehouse: Warehouse, source: Source, run: LoadRun) -> int:
    """Stages the whole song catalog: plays of any window may match any song."""
    staged = steps.stage_songs(warehouse, source, run)
    get_run_logger().info("staged %d songs from %s", staged, source.uri)
    return staged


@task(name="drop-staging", **TASK_OPTIONS)
def drop_staging(warehouse: Warehouse, run: LoadRun) -> None:
    """Removes this run's staging tables once its tables are loaded and checked."""
    steps.drop_staging(warehouse, run)
