"""The ledger's two steps: what is new since it was written, and writing it once a window is loaded."""

from __future__ import annotations

from prefect import get_run_logger, task
from prefect.artifacts import create_table_artifact

from sparkify import steps
from sparkify.ledger import EventChanges, FeedChanges
from sparkify.run import LoadRun
from sparkify.sources import SongListing, Source, SourceObject
from sparkify.warehouse import Warehouse
from tasks.policy import TASK_OPTIONS


@task(name="list-catalog", **TASK_OPTIONS)
def list_catalog(source: Source) -> SongListing:
    """Lists the catalog as a whole (names and identities, no content): it needs no warehouse, so a run starts here."""
    return steps.list_catalog(source)


@task(name="plan-catalog", **TASK_OPTIONS)
def plan_catalog(warehouse: Warehouse, source: Source, listing: SongListing, full_refresh: bool) -> FeedChanges:
    """The catalog's listing against the ledger: the song files to stage."""
    songs = steps.plan_catalog(warehouse, source, listing, full_refresh)
    get_run_logger().info(songs.describe())
    return songs


@task(name="plan-events", **TASK_OPTIONS)
def plan_events(
    warehouse: Warehouse, source: Source, run: LoadRun, lookback_days: float, full_refresh: bool
) -> EventChanges:
    """Lists the event files of the window and its lookback against the ledger: earlier windows gone stale."""
    events = steps.plan_events(warehouse, source, run, lookback_days, full_refresh)
    get_run_logger().info(events.describe())
    return events


@task(name="record-window", **TASK_OPTIONS)
def record_window(warehouse: Warehouse, source: Source, run: LoadRun, objects: tuple[SourceObject, ...]) -> None:
    """Writes the window's event files into the ledger, once its facts and dimensions are loaded and checked."""
    steps.record_window(warehouse, source, run, objects)


@task(name="report-increment", **TASK_OPTIONS)
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
