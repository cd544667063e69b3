"""What each step of a run does to the warehouse, shared by the flow's tasks and by ``plan``.

A task adds what only a real run has (logs, artifacts, failing on an empty
source); every warehouse call it makes goes through a function here. ``plan``
runs ``run_in_order`` on a recording engine, so it prints the statements these
functions issue rather than a second, hand-kept list of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from sparkify import quality, report, schema, sql
from sparkify.ledger import (
    CATALOG_WINDOW,
    LISTING_KEY,
    EventChanges,
    FeedChanges,
    loaded_window,
    lookback_window,
    object_url,
    stale_windows,
)
from sparkify.records import Staged
from sparkify.run import LoadRun, stale_staging
from sparkify.sources import SongListing, Source, SourceObject
from sparkify.warehouse import Warehouse
from sparkify.window import Window


@dataclass(frozen=True)
class CatalogLoad:
    """What a run's new song files changed: rows inserted into songs and artists, plays matched anew."""

    songs: int = 0
    artists: int = 0
    rematched: int = 0


def create_tables(warehouse: Warehouse) -> None:
    warehouse.create_tables()


def stage_events(warehouse: Warehouse, source: Source, run: LoadRun) -> Staged:
    """A fresh staging table, then the window's event files; returns the events staged and rejected."""
    warehouse.create_staging(run.staging_events)
    staged = warehouse.stage_event_files(run.staging_events, source, run.window, run.key)
    return Staged("events", staged, warehouse.rejected(run.key, "events"))


def list_catalog(source: Source) -> SongListing:
    """The catalog's listing as a whole (names and identities, no content); no warehouse needed."""
    return source.song_listing()


def plan_catalog(warehouse: Warehouse, source: Source, listing: SongListing, full_refresh: bool = False) -> FeedChanges:
    """The catalog's listing against the ledger: the song files to stage."""
    return FeedChanges.of_catalog(listing, source.uri, warehouse, full_refresh)


def plan_events(
    warehouse: Warehouse, source: Source, run: LoadRun, lookback_days: float = 0, full_refresh: bool = False
) -> EventChanges:
    """Lists the event files of the window and its lookback against the ledger: the earlier windows to reload.

    On a full refresh the lookback has no limit: every window loaded from a file that changed since is reloaded.
    """
    window_objects = source.event_objects(run.window)
    lookback = Window.everything() if full_refresh else lookback_window(run.window, lookback_days)
    earlier = source.event_objects(lookback) if lookback and not run.window.is_everything else []
    seen = warehouse.loaded("events", source.uri)
    listed = {item.key: item for item in (*earlier, *window_objects)}
    events = FeedChanges.sort("events", listed.values(), source.uri, seen)
    return EventChanges(events, tuple(window_objects), stale_windows(earlier, source.uri, seen, run.window))


def stage_songs(warehouse: Warehouse, source: Source, run: LoadRun, songs: FeedChanges) -> Staged:
    """A fresh staging table, then the song files new or changed since the ledger saw them; returns them counted.

    When none is known yet (a first load, a full refresh) the catalog is staged whole: one COPY on Redshift.
    """
    warehouse.create_staging(run.staging_songs)
    keys = None if not songs.unchanged or songs.full_refresh else [song.key for song in songs.to_load]
    staged = warehouse.stage_song_files(run.staging_songs, source, run.key, keys)
    return Staged("songs", staged, warehouse.rejected(run.key, "songs"))


def load_catalog(warehouse: Warehouse, source: Source, run: LoadRun, songs: FeedChanges) -> CatalogLoad:
    """The staged song files into the catalog, songs and artists, and plays re-matched, with their ledger rows.

    One transaction: a crash leaves the ledger without the files, which the next run stages again.
    Nothing to do when no song file is new.
    """
    if songs.listing_recorded and not songs.to_load:
        return CatalogLoad()
    loads = [(object_url(source.uri, song.key), song.identity, CATALOG_WINDOW) for song in songs.to_load]
    # the listing as a whole too: the next run with the same listing need not compare it object by object
    loads.append((object_url(source.uri, LISTING_KEY), songs.listing, CATALOG_WINDOW))

    def record(conn: sa.Connection) -> None:
        warehouse.record_loaded(conn, run.key, "songs", loads, run.staging_tables)

    paths = sql.script("load/catalog", warehouse.dialect.name)
    counts = dict(zip(paths, warehouse.run_script("load/catalog", run.staging_tables, {}, then=record), strict=True))
    return CatalogLoad(
        songs=counts["load/catalog/04_insert_songs"],
        artists=counts["load/catalog/06_insert_artists"],
        rematched=counts["load/catalog/07_rematch_songplays"],
    )


def load_songplays(warehouse: Warehouse, run: LoadRun) -> int:
    """Replaces the window's facts in one transaction; returns the facts inserted."""
    return warehouse.run_script("load/songplays", run.staging_tables, run.window.params())[-1]


def load_dimension(warehouse: Warehouse, table: str, run: LoadRun) -> int:
    """Upserts one dimension in one transaction; returns the rows inserted."""
    return warehouse.run_script(f"load/{table}", run.staging_tables, run.window.params())[-1]


def record_window(warehouse: Warehouse, source: Source, run: LoadRun, objects: Iterable[SourceObject]) -> None:
    """The window's event files, as listed before they were read, into the ledger once the window is loaded.

    A transaction of its own, after the facts and dimensions: a crash before it commits leaves the ledger
    as it was, so a later run reloads the window, which replaces its facts: nothing lost, nothing twice.
    """
    loads = [(object_url(source.uri, log.key), log.identity, loaded_window(run.window, log.key)) for log in objects]
    with warehouse.engine.begin() as conn:
        warehouse.record_loaded(conn, run.key, "events", loads, run.staging_tables)


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

    The flow lists the catalog from its start, stages the events beside the catalog's plan and staging, and
    loads the dimensions side by side; this is the same order, each group serialised as it is submitted.
    Returns the quality checks' results, which the flow's task would raise on.
    """
    announce("list-catalog")
    listing = list_catalog(source)
    announce("create-tables")
    create_tables(warehouse)
    announce("plan-events")
    events = plan_events(warehouse, source, run)
    announce("stage-events")
    stage_events(warehouse, source, run)
    announce("plan-catalog")
    songs = plan_catalog(warehouse, source, listing)
    announce("stage-songs")
    stage_songs(warehouse, source, run, songs)
    announce("load-catalog")
    load_catalog(warehouse, source, run, songs)
    announce("load-songplays")
    load_songplays(warehouse, run)
    for table in schema.DIMENSIONS:
        announce(f"load-{table}")
        load_dimension(warehouse, table, run)
    announce("run-quality-checks")
    results, _ = check_quality(warehouse, run)
    announce("record-window")
    record_window(warehouse, source, run, events.window_objects)
    announce("drop-staging")
    drop_staging(warehouse, run)
    announce("listening-report")
    listening_report(warehouse, run)
    return results
