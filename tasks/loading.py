"""Steps 3 and 4: the catalog and the fact, then the dimensions, from this run's staging tables."""

from __future__ import annotations

from prefect import get_run_logger, task

from sparkify import steps
from sparkify.errors import EmptySourceError
from sparkify.ledger import FeedChanges
from sparkify.run import LoadRun
from sparkify.sources import Source
from sparkify.steps import CatalogLoad
from sparkify.warehouse import Warehouse
from tasks.policy import TASK_OPTIONS


@task(name="load-catalog", **TASK_OPTIONS)
def load_catalog(warehouse: Warehouse, source: Source, run: LoadRun, songs: FeedChanges) -> CatalogLoad:
    """Upserts the new song files into the catalog, songs and artists, and matches plays loaded before them."""
    loaded = steps.load_catalog(warehouse, source, run, songs)
    get_run_logger().info(
        "catalog: %d song files loaded, %d songs and %d artists inserted, %d plays matched anew",
        len(songs.to_load),
        loaded.songs,
        loaded.artists,
        loaded.rematched,
    )
    return loaded


@task(name="load-songplays", **TASK_OPTIONS)
def load_songplays(warehouse: Warehouse, run: LoadRun, source_uri: str, required: bool = True) -> int:
    """Replaces the window's facts in one transaction; returns the facts inserted.

    A window the run must load fails when it has none (``required``); an earlier one reloaded may be left empty.
    """
    inserted = steps.load_songplays(warehouse, run)
    if inserted == 0 and required:
        raise EmptySourceError(
            f"no NextSong event in {source_uri} for {run.window}: nothing to load. "
            "Check that the event logs for this period were delivered (log_data/YYYY/MM/YYYY-MM-DD-events.json)."
        )
    get_run_logger().info("loaded %d songplays for %s", inserted, run.window)
    return inserted


@task(name="load-dimension", task_run_name="load-{table}", **TASK_OPTIONS)
def load_dimension(warehouse: Warehouse, table: str, run: LoadRun) -> int:
    """Upserts one dimension in one transaction; returns the rows it inserted."""
    inserted = steps.load_dimension(warehouse, table, run)
    get_run_logger().info("upserted %d rows into %s", inserted, table)
    return inserted
