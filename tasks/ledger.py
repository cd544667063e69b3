"""The ledger's steps: what is new since it was written, and what the run found new."""

from __future__ import annotations

from prefect import get_run_logger
from prefect.artifacts import create_table_artifact

from sparkify import steps
from sparkify.ledger import EventChanges, FeedChanges
from sparkify.run import LoadRun
from sparkify.sources import SongListing, Source, describe_skipped
from sparkify.warehouse import Warehouse
from tasks.policy import step_task


@step_task(steps.plan_catalog)
def plan_catalog(warehouse: Warehouse, source: Source, listing: SongListing, full_refresh: bool) -> FeedChanges:
    """The catalog's listing against the ledger: the song files to stage."""
    songs = steps.plan_catalog(warehouse, source, listing, full_refresh)
    logger = get_run_logger()
    logger.info(songs.describe())
    if listing.skipped:
        logger.warning(describe_skipped(source.uri, listing.skipped))
    return songs


@step_task(steps.plan_events)
def plan_events(
    warehouse: Warehouse, source: Source, run: LoadRun, lookback_days: float, full_refresh: bool
) -> EventChanges:
    """Lists the event files of the window and its lookback against the ledger: earlier windows gone stale."""
    events = steps.plan_events(warehouse, source, run, lookback_days, full_refresh)
    logger = get_run_logger()
    logger.info(events.describe())
    if events.skipped:
        logger.warning(describe_skipped(source.uri, events.skipped, source.events_format))
    return events


@step_task(steps.report_increment)
def report_increment(songs: FeedChanges, events: EventChanges, rematched: int, run: LoadRun) -> None:
    """Publishes, per feed, the objects new, changed and unchanged, the windows reloaded, the plays matched anew."""
    reloaded = ", ".join(str(reload.window) for reload in events.reloads) or "none"
    create_table_artifact(
        key="sparkify-increment",
        table=[{"feed": feed.feed, **feed.counts()} for feed in (songs, events.events)],
        description=(
            f"Source objects listed by the run for {run.window} against the ledger (loaded_objects); "
            f"earlier windows reloaded: {reloaded}; plays matched anew by new catalog entries: {rematched}."
        ),
    )
    get_run_logger().info("earlier windows reloaded: %s; plays matched anew: %d", reloaded, rematched)
