"""Step 2: copy the raw feeds into this run's staging tables (events and songs run side by side)."""

from __future__ import annotations

from prefect import get_run_logger, task
from prefect.artifacts import create_table_artifact

from sparkify import records, steps
from sparkify.ledger import FeedChanges
from sparkify.records import Staged
from sparkify.run import LoadRun
from sparkify.sources import Source
from sparkify.warehouse import Warehouse
from tasks.policy import TASK_OPTIONS


@task(name="stage-events", **TASK_OPTIONS)
def stage_events(warehouse: Warehouse, source: Source, run: LoadRun) -> Staged:
    """Stages the day files of the run's window; returns the events staged and rejected."""
    staged = steps.stage_events(warehouse, source, run)
    get_run_logger().info("staged %d events from %s (%s)", staged.staged, source.uri, run.window)
    return staged


@task(name="stage-songs", **TASK_OPTIONS)
def stage_songs(warehouse: Warehouse, source: Source, run: LoadRun, songs: FeedChanges) -> Staged:
    """Stages the song files new or changed since the ledger saw them; the others are not read."""
    staged = steps.stage_songs(warehouse, source, run, songs)
    get_run_logger().info("staged %d songs from %d files of %s", staged.staged, len(songs.to_load), source.uri)
    return staged


@task(name="check-rejects", **TASK_OPTIONS)
def check_rejects(feeds: list[Staged], max_errors: int, source: Source, run: LoadRun) -> None:
    """Publishes what each feed read, staged and rejected; fails the run when a feed is over the error budget."""
    logger = get_run_logger()
    for feed in feeds:
        if feed.rejected:
            logger.warning("%s: each bad record is in the rejected_records table", feed.describe())
        else:
            logger.info(feed.describe())
    create_table_artifact(
        key="sparkify-rejects",
        table=[
            {"feed": feed.feed, "read": feed.read, "staged": feed.staged, "rejected": feed.rejected} for feed in feeds
        ],
        description=(
            f"Records of {source.uri} for {run.window}: read = staged + rejected. Bad records are kept in the "
            f"rejected_records table (run_key '{run.key}'); the error budget is {max_errors} per feed."
        ),
    )
    records.check_budget(feeds, max_errors, source.uri, run.key)


@task(name="drop-staging", **TASK_OPTIONS)
def drop_staging(warehouse: Warehouse, run: LoadRun) -> None:
    """Removes this run's staging tables once its tables are loaded and checked."""
    steps.drop_staging(warehouse, run)
