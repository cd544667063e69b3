"""What each step of a run does to the warehouse, shared by the flow's tasks and by ``plan``.

A task adds what only a real run has (logs, artifacts); every warehouse call it
makes goes through a function here, and the one sequence that calls them is
``sparkify.pipeline``. A window's facts and dimensions are written, audited and
published: built into the run's own tables (side by side, nothing locked), then
published in one transaction that locks what it touches, replaces the parts of
the window the run read a day file for, upserts the dimensions, records the
ledger, evaluates the checks, and commits only when no error-level check failed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa

from sparkify import quality, records, report, sample, schema
from sparkify.errors import DataQualityError
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
from sparkify.settings import SAMPLE_SOURCE
from sparkify.sources import EventListing, SongListing, Source, SourceObject, event_file_day, open_source
from sparkify.warehouse import Warehouse
from sparkify.window import Window

F = TypeVar("F", bound=Callable[..., Any])
_NAMES: dict[Callable[..., Any], str] = {}


def named(name: str) -> Callable[[F], F]:
    """Names a step as its task is named: how a run's task runs and a plan's sections are told apart."""

    def register(step: F) -> F:
        _NAMES[step] = name
        return step

    return register


def name_of(step: Callable[..., Any]) -> str:
    return _NAMES[step]


@dataclass(frozen=True)
class CatalogLoad:
    """What a run's new song files changed: rows inserted into songs and artists, plays matched anew, conflicts."""

    songs: int = 0
    artists: int = 0
    rematched: int = 0
    #: song_ids another song file also gives: (song_id, the file kept, the other file).
    conflicts: tuple[tuple[str, str, str], ...] = ()
    checks: tuple[quality.CheckResult, ...] = ()


@dataclass(frozen=True)
class Kept:
    """Facts of a day the run found no readable day file for: left as they were, never deleted with the file."""

    day: date
    plays: int


@dataclass(frozen=True)
class Publication:
    """What publishing a window did: facts inserted, the parts replaced and the days kept, the checks' results."""

    window: Window
    songplays: int = 0
    replaced: tuple[Window, ...] = ()
    kept: tuple[Kept, ...] = ()
    undelivered: tuple[date, ...] = ()
    checks: tuple[quality.CheckResult, ...] = ()
    committed: bool = True

    @property
    def failures(self) -> list[quality.CheckResult]:
        return [result for result in self.checks if not result.passed]

    @property
    def warnings(self) -> list[quality.CheckResult]:
        return [result for result in self.failures if result.severity == "warn"]

    @property
    def errors(self) -> list[quality.CheckResult]:
        return [result for result in self.failures if result.severity == "error"]

    def describe_kept(self) -> list[str]:
        return [f"kept {kept.plays} plays of {kept.day}: no readable day file for it" for kept in self.kept]


@dataclass(frozen=True)
class Audit:
    """The whole-table checks' results."""

    window: Window
    checks: tuple[quality.CheckResult, ...] = field(default=())


@named("prepare-source")
def prepare_source(
    source: str, s3_block: str | None = None, events_format: str = "json", window: Window | None = None
) -> Source:
    """The source to read, a folder or s3:// (``open_source``).

    The demo sample is generated on first use, and is a live feed: the day files of the days ``window`` touches
    after the sample's own (up to tomorrow) are generated before the run reads them, as an app would have delivered
    them, so that scheduled runs find their hour. No other source is ever written to.
    """
    if source == SAMPLE_SOURCE:
        if not Path(source).exists():
            sample.ensure_sample(Path(source))
        if window is not None and not window.is_everything and events_format == "json":
            sample.ensure_days(Path(source), window.days())
    return open_source(source, s3_block=s3_block, events_format=events_format)


@named("check-connections")
def check_connections(warehouse: Warehouse, source: Source | None = None) -> None:
    """Before anything else: the warehouse answers (logged in, a DuckDB file locked for writing) and the source
    lists. A mistake here stops the run at once, saying what to fix; it is never retried."""
    warehouse.ping()
    if source is not None:
        source.check()


@named("create-tables")
def create_tables(warehouse: Warehouse) -> None:
    warehouse.create_tables()


@named("check-rejects")
def check_rejects(feeds: list[Staged], max_errors: int, source_uri: str, run: LoadRun) -> list[Staged]:
    """Fails the run when a feed has more bad records than the error budget."""
    records.check_budget(feeds, max_errors, source_uri, run.key)
    return feeds


@named("stage-events")
def stage_events(warehouse: Warehouse, source: Source, run: LoadRun) -> Staged:
    """A fresh staging table, then the window's event files; returns the events staged and rejected."""
    warehouse.create_staging(run.staging_events)
    staged = warehouse.stage_event_files(run.staging_events, source, run.window, run.key)
    return Staged(
        "events",
        staged,
        warehouse.rejected(run.key, "events"),
        files=len(source.event_keys(run.window)),
        files_rejected=warehouse.rejected_files(run.key, "events"),
    )


@named("list-catalog")
def list_catalog(source: Source) -> SongListing:
    """The catalog's listing as a whole (names and identities, no content); no warehouse needed."""
    return source.song_listing()


@named("plan-catalog")
def plan_catalog(warehouse: Warehouse, source: Source, listing: SongListing, full_refresh: bool = False) -> FeedChanges:
    """The catalog's listing against the ledger: the song files to stage."""
    return FeedChanges.of_catalog(listing, source.uri, warehouse, full_refresh)


@named("plan-events")
def plan_events(
    warehouse: Warehouse, source: Source, run: LoadRun, lookback_days: float = 0, full_refresh: bool = False
) -> EventChanges:
    """Lists the event files of the window and its lookback against the ledger: the earlier windows to reload.

    The ledger is read for the listed files alone. On a full refresh the lookback has no limit: every window
    loaded from a file that changed since is reloaded.
    """
    window_listing = source.event_listing(run.window)
    lookback = Window.everything() if full_refresh else lookback_window(run.window, lookback_days)
    earlier = source.event_listing(lookback) if lookback and not run.window.is_everything else EventListing([])
    listed = {item.key: item for item in (*earlier.objects, *window_listing.objects)}
    seen = warehouse.loaded("events", source.uri, [object_url(source.uri, key) for key in listed])
    events = FeedChanges.sort("events", listed.values(), source.uri, seen)
    return EventChanges(
        events,
        tuple(window_listing.objects),
        stale_windows(earlier.objects, source.uri, seen, run.window),
        skipped=tuple(sorted({*earlier.skipped, *window_listing.skipped})),
    )


@named("stage-songs")
def stage_songs(warehouse: Warehouse, source: Source, run: LoadRun, songs: FeedChanges) -> Staged:
    """A fresh staging table, then the song files new or changed since the ledger saw them; returns them counted."""
    warehouse.create_staging(run.staging_songs)
    staged = warehouse.stage_songs(run.staging_songs, source, songs.to_load, run.key)
    return Staged("songs", staged, warehouse.rejected(run.key, "songs"))


@named("load-catalog")
def load_catalog(
    warehouse: Warehouse, source: Source, run: LoadRun, songs: FeedChanges, thresholds: quality.Thresholds
) -> CatalogLoad:
    """The staged song files into the catalog, songs and artists, plays re-matched, their ledger rows, checked.

    One transaction, committed only when the catalog's checks pass: a crash or a failed check leaves the ledger
    without the files, which the next run stages again. Nothing to do when no song file is new.
    """
    if songs.listing_recorded and not songs.to_load:
        return CatalogLoad()
    loads = [(object_url(source.uri, song.key), song.identity, CATALOG_WINDOW) for song in songs.to_load]
    # the listing as a whole too: the next run with the same listing need not compare it object by object
    loads.append((object_url(source.uri, LISTING_KEY), songs.listing, CATALOG_WINDOW))
    names = run.staging_tables
    checks = quality.catalog_checks()
    context = quality.CheckContext(run.window, names, thresholds=thresholds)
    statements = [
        *((path, names) for path in warehouse.script("load/catalog")),
        ("load/song_id_conflicts", names),
        *warehouse.ledger_statements("songs", names),
        *quality.statements(checks, names),
    ]
    with warehouse.transaction(warehouse.tables_of(statements) | {schema.check_results.name}) as conn:
        conflicts = conn.execute(warehouse.statement("load/song_id_conflicts", names)).all()
        counts = warehouse.run_script(conn, "load/catalog", names, {})
        analyze_written(
            warehouse,
            conn,
            {
                "song_catalog": counts["02_insert_entries"],
                "songs": counts["04_insert_songs"],
                "artists": counts["06_insert_artists"],
            },
        )
        warehouse.record_loaded(conn, run.key, "songs", loads, names)
        results = quality.evaluate(scalar_on(warehouse, conn), checks, context)
        committed = _commit_if_passed(warehouse, conn, run, results)
    if not committed:
        raise DataQualityError(quality.failure_message("the catalog's", results))
    return CatalogLoad(
        songs=counts["04_insert_songs"],
        artists=counts["06_insert_artists"],
        rematched=counts["07_rematch_songplays"],
        conflicts=tuple((song_id, kept, other) for song_id, kept, other in conflicts),
        checks=tuple(results),
    )


@named("build-window-table")
def build_window_table(warehouse: Warehouse, run: LoadRun, table: str) -> int:
    """The rows the run will publish into ``table`` (songplays, users or time), in the run's own table.

    Nothing shared is written or locked: the three tables of a window are built side by side.
    """
    built = run.window_table(table)
    warehouse.create_staging(built)
    with warehouse.engine.begin() as conn:
        rows = conn.execute(warehouse.statement(f"window/{table}", run.staging_tables), run.window.params()).rowcount
        warehouse.analyze(conn, built)
    return rows


def replaced_parts(warehouse: Warehouse, run: LoadRun, listed: Iterable[SourceObject]) -> tuple[Window, ...]:
    """The parts of the window whose facts the run replaces: those of the days it read a day file for.

    A day's part is replaced when its file was listed and gave at least one staged event of that day; a day whose
    file is missing, empty or unreadable keeps its facts. A full load's window holds every day with a file.
    """
    with warehouse.engine.connect() as conn:
        staged_days = set(conn.execute(warehouse.statement("staging/event_days", run.staging_tables)).scalars().all())
    named = [event_file_day(item.key) for item in listed]
    # a name that gives no day (a plan's stand-in for objects it does not list) restricts nothing
    listed_days = None if None in named else set(named)
    days = sorted(day for day in map(_as_date, staged_days) if listed_days is None or day in listed_days)
    parts: list[Window] = []
    for day in days:
        start = max(run.window.start, datetime(day.year, day.month, day.day))
        end = min(run.window.end, start.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1))
        if start >= end:
            continue
        if parts and parts[-1].end == start:
            parts[-1] = Window(parts[-1].start, end)
        else:
            parts.append(Window(start, end))
    return tuple(parts)


@named("publish-window")
def publish_window(
    warehouse: Warehouse,
    source: Source,
    run: LoadRun,
    listed: Sequence[SourceObject],
    checks: Sequence[quality.Check],
    thresholds: quality.Thresholds,
) -> Publication:
    """The run's rows into the star schema, the window's day files into the ledger, the checks: one transaction.

    It commits only when no error-level check failed; then, or after rolling back, every check's result is appended
    to ``check_results``. The facts of days without a readable file are counted and kept.
    """
    names = run.staging_tables
    replaced = replaced_parts(warehouse, run, listed)
    bounded = not run.window.is_everything
    undelivered = tuple(day for day in run.window.days() if not _covers(replaced, day)) if bounded else ()
    context = quality.CheckContext(run.window, names, replaced, undelivered, thresholds=thresholds)
    loads = [(object_url(source.uri, log.key), log.identity, loaded_window(run.window, log.key)) for log in listed]
    statements = [
        *((path, names) for folder in PUBLISHED for path in warehouse.script(folder)),
        ("checks/window/plays_between", {}),
        *warehouse.ledger_statements("events", names),
        *quality.statements(checks, names),
    ]
    inserted = 0
    with warehouse.transaction(warehouse.tables_of(statements) | {schema.check_results.name}) as conn:
        scalar = scalar_on(warehouse, conn)
        for part in replaced:
            inserted += warehouse.run_script(conn, "publish/songplays", names, _part(part))["02_insert_replaced"]
        written = {schema.songplays.name: inserted}
        for folder in PUBLISHED[1:]:
            written[folder.rsplit("/", 1)[-1]] = sum(warehouse.run_script(conn, folder, names, {}).values())
        analyze_written(warehouse, conn, written)
        warehouse.record_loaded(conn, run.key, "events", loads, names)
        kept = tuple(
            Kept(part.start.date(), plays)
            for part in (_kept_parts(run.window, replaced) if bounded else ())
            if (plays := int(scalar("checks/window/plays_between", {}, _part(part), ())))
        )
        results = quality.evaluate(scalar, checks, context)
        committed = _commit_if_passed(warehouse, conn, run, results)
    return Publication(run.window, inserted, replaced, kept, undelivered, tuple(results), committed)


#: What a window's publication writes, in this order: the facts first, then the dimensions.
PUBLISHED = ("publish/songplays", "publish/users", "publish/time")
#: Rows a transaction changes in a table before it refreshes the table's statistics itself, before its checks: a
#: full load's, a backfill's, a new catalog's (ANALYZE samples 30,000 rows at most, less than such a write costs).
#: An hourly run's few rows are left to autovacuum.
ANALYZE_AFTER_ROWS = 1_000


def analyze_written(warehouse: Warehouse, conn: sa.Connection, written: Mapping[str, int]) -> None:
    """Statistics for the shared tables a transaction has just written many rows into, inside it (ANALYZE samples the
    transaction's own rows): the checks that follow, and the next run, are planned for the table's real size, not the
    empty table's. An engine without indexes plans without them."""
    for table, rows in written.items():
        if rows >= ANALYZE_AFTER_ROWS:
            warehouse.analyze(conn, schema.metadata.tables[table])


def _commit_if_passed(
    warehouse: Warehouse, conn: sa.Connection, run: LoadRun, results: Sequence[quality.CheckResult]
) -> bool:
    """Keeps the transaction's writes when no error-level check failed; the results are recorded either way."""
    if not any(result.failed_error for result in results):
        record_checks(warehouse, conn, run, results)
        return True
    conn.rollback()
    with warehouse.transaction({schema.check_results.name}) as own:
        record_checks(warehouse, own, run, results)
    return False


def record_checks(
    warehouse: Warehouse, conn: sa.Connection, run: LoadRun, results: Sequence[quality.CheckResult]
) -> None:
    """Every result of the run's checks appended to ``check_results``: history is added to, never rewritten."""
    now = datetime.now(UTC).replace(tzinfo=None)
    warehouse.insert_rows(conn, schema.check_results, [result.row(run.key, run.window, now) for result in results])


@named("audit")
def audit(warehouse: Warehouse, run: LoadRun) -> Audit:
    """Every whole-table check, read-only, its results appended to ``check_results``."""
    checks = quality.table_checks(staged=False)
    with warehouse.engine.connect() as conn:
        results = quality.evaluate(scalar_on(warehouse, conn), checks, quality.CheckContext(run.window, {}))
    with warehouse.transaction({schema.check_results.name}) as conn:
        record_checks(warehouse, conn, run, results)
    return Audit(run.window, tuple(results))


@dataclass(frozen=True)
class Forgotten:
    """What ``forget`` deleted: the plays of its days, and the ledger rows of those days' event files."""

    window: Window
    plays: int
    ledger_rows: int

    def lines(self) -> list[str]:
        return [
            f"deleted {self.plays} plays of {self.window}",
            f"deleted {self.ledger_rows} ledger rows (loaded_objects) of those days' event files: "
            "a run loads a file of those days again when it is there",
        ]


@named("forget")
def forget(warehouse: Warehouse, window: Window) -> Forgotten:
    """Deletes the facts of ``window`` (whole UTC days) and the ledger rows of its day files, in one locked
    transaction: the explicit act a run never performs for a day whose file is gone (it keeps the facts)."""
    statements = [(path, {}) for path in warehouse.script("forget")]
    with warehouse.transaction(warehouse.tables_of(statements)) as conn:
        deleted = warehouse.run_script(conn, "forget", {}, window.params())
    return Forgotten(window, deleted["01_songplays"], deleted["02_loaded_objects"])


def check_health(warehouse: Warehouse) -> list[dict[str, Any]]:
    """Each check's history in brief (``check_health`` mart): last result, last failure, runs since."""
    with warehouse.engine.connect() as conn:
        result = conn.execute(warehouse.statement("report/check_health"))
        return [dict(row._mapping) for row in result]


@named("report-checks")
def report_checks(publication: Publication, run: LoadRun) -> Publication:
    """The window's check results, as a run publishes them (an artifact, the log, an alert on a warning)."""
    return publication


@named("listening-report")
def listening_report(warehouse: Warehouse, run: LoadRun) -> report.ListeningReport:
    """What users listened to in the run's window, read from the window's rows."""
    return report.read(warehouse, run.window)


@named("report-increment")
def report_increment(songs: FeedChanges, events: EventChanges, rematched: int, run: LoadRun) -> None:
    """Per feed, the objects new, changed and unchanged, the windows reloaded, the plays matched anew (published
    by the run's task)."""


@named("row-counts")
def row_counts(warehouse: Warehouse) -> dict[str, int]:
    """Each star-schema table's row count, for a full load's summary (an hourly run counts only what it wrote)."""
    return {table.name: warehouse.row_count(table.name) for table in schema.STAR_SCHEMA}


@named("drop-staging")
def drop_staging(warehouse: Warehouse, run: LoadRun) -> None:
    """This run's own tables, and those of runs that crashed over a day ago (a day: none still runs)."""
    stale = [sa.Table(name, sa.MetaData()) for name in stale_staging(warehouse.staging_tables())]
    for table in (*run.tables, *stale):
        warehouse.drop_staging(table)


def _kept_parts(window: Window, replaced: Sequence[Window]) -> list[Window]:
    """The parts of each day of the window that the run did not replace."""
    kept = []
    for day in window.days():
        start = max(window.start, datetime(day.year, day.month, day.day))
        end = min(window.end, datetime(day.year, day.month, day.day) + timedelta(days=1))
        if not any(part.start <= start and end <= part.end for part in replaced):
            kept.append(Window(start, end))
    return kept


def _covers(parts: Sequence[Window], day: date) -> bool:
    return any(part.start.date() <= day < part.end.date() or part.start.date() == day for part in parts)


def _part(part: Window) -> dict[str, datetime]:
    return {"part_start": part.start, "part_end": part.end}


def _as_date(value: date | datetime | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    return date.fromisoformat(value) if isinstance(value, str) else value


def scalar_on(warehouse: Warehouse, conn: sa.Connection) -> quality.Scalar:
    """A query runner for the checks, bound to the transaction they run in."""

    def scalar(path: str, identifiers: Mapping[str, str], params: Mapping[str, Any], expanding: Sequence[str]) -> Any:
        return warehouse.scalar(path, identifiers, params, expanding, conn=conn)

    return scalar
