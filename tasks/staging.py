"""Staging: copy the raw feeds into this run's own tables (events and songs side by side), and drop them after."""

from __future__ import annotations

from prefect import get_run_logger
from prefect.artifacts import create_table_artifact

from sparkify import steps
from sparkify.ledger import FeedChanges
from sparkify.records import Staged
from sparkify.run import LoadRun
from sparkify.sources import Source
from sparkify.warehouse import Warehouse
from tasks.policy import step_task


@step_task(steps.stage_events)
def stage_events(warehouse: Warehouse, source: Source, run: LoadRun) -> Staged:
    """Stages the day files of the run's window; returns the events staged and rejected."""
    staged = steps.stage_events(warehouse, source, run)
    get_run_logger().info("staged %d events from %s (%s)", staged.staged, source.uri, run.window)
    return staged


@step_task(steps.stage_songs)
def stage_songs(warehouse: Warehouse, source: Source, run: LoadRun, songs: FeedChanges) -> Staged:
    """Stages the song files new or changed since the ledger saw them; the others are not read."""
    staged = steps.stage_songs(warehouse, source, run, songs)
    get_run_logger().info("staged %d songs from %d files of %s", staged.staged, len(songs.to_load), source.uri)
    return staged


@step_task(steps.check_rejects)
def check_rejects(feeds: list[Staged], max_errors: int, source_uri: str, run: LoadRun) -> list[Staged]:
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
            f"Records of {source_uri} for {run.window}: read = staged + rejected. Bad records are kept in the "
            f"rejected_records table (run_key '{run.key}'); the error budget is {max_errors} per feed."
        ),
    )
    return steps.check_rejects(feeds, max_errors, source_uri, run)


@step_task(steps.drop_staging)
def drop_staging(warehouse: Warehouse, run: LoadRun) -> None:
    """Removes this run's own tables once its window is published (or failed)."""
    steps.drop_staging(warehouse, run)
