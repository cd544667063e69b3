"""Loading: the catalog, then each window written to the run's own tables, audited and published in one go."""

from __future__ import annotations

from collections.abc import Sequence

from prefect import get_run_logger

from sparkify import quality, steps
from sparkify.ledger import FeedChanges
from sparkify.run import LoadRun
from sparkify.sources import Source, SourceObject
from sparkify.steps import CatalogLoad, Publication
from sparkify.warehouse import Warehouse
from tasks.policy import step_task


@step_task(steps.load_catalog)
def load_catalog(
    warehouse: Warehouse, source: Source, run: LoadRun, songs: FeedChanges, thresholds: quality.Thresholds
) -> CatalogLoad:
    """Upserts the new song files into the catalog, songs and artists, and matches plays loaded before them."""
    loaded = steps.load_catalog(warehouse, source, run, songs, thresholds)
    logger = get_run_logger()
    logger.info(
        "catalog: %d song files loaded, %d songs and %d artists inserted, %d plays matched anew",
        len(songs.to_load),
        loaded.songs,
        loaded.artists,
        loaded.rematched,
    )
    for song_id, kept, other in loaded.conflicts:
        logger.warning("song_id %s is in two song files: kept %s (modified last), not %s", song_id, kept, other)
    return loaded


@step_task(steps.build_window_table, task_run_name="build-{table}")
def build_window_table(warehouse: Warehouse, run: LoadRun, table: str) -> int:
    """The rows the window will publish into one table, built in the run's own table; nothing shared is locked."""
    rows = steps.build_window_table(warehouse, run, table)
    get_run_logger().info("built %d rows for %s of %s", rows, table, run.window)
    return rows


@step_task(steps.publish_window)
def publish_window(
    warehouse: Warehouse,
    source: Source,
    run: LoadRun,
    listed: Sequence[SourceObject],
    checks: Sequence[quality.Check],
    thresholds: quality.Thresholds,
) -> Publication:
    """Replaces the window's facts, upserts its dimensions and records its files, checked, in one transaction."""
    published = steps.publish_window(warehouse, source, run, listed, checks, thresholds)
    logger = get_run_logger()
    for line in published.describe_kept():
        logger.warning(line)
    if published.committed:
        logger.info("published %d songplays for %s", published.songplays, run.window)
    else:
        logger.error("nothing published for %s: error-level checks failed", run.window)
    return published


@step_task(steps.row_counts)
def row_counts(warehouse: Warehouse) -> dict[str, int]:
    """Each star-schema table's row count, for a full load's summary."""
    return steps.row_counts(warehouse)
