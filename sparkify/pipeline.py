"""The one sequence of a run, walked by the flow (each step a Prefect task) and by ``plan`` (each step called).

A :class:`Runner` carries out each step: the flow's runs them as Prefect tasks, side by
side where the sequence submits them; ``plan``'s calls them one after another on a
recording warehouse. The main window and every earlier window reloaded (late events)
go through the same window load: stage, build, publish (checked), then drop the run's
tables whatever happened.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from sparkify import quality, steps
from sparkify.config import RunConfig
from sparkify.errors import DataQualityError, EmptySourceError
from sparkify.ledger import EventChanges, FeedChanges
from sparkify.records import Staged
from sparkify.run import WINDOW_TABLES, LoadRun
from sparkify.sources import Source, SourceObject, describe_skipped
from sparkify.warehouse import Warehouse

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class Future(Protocol[T_co]):
    def result(self) -> T_co: ...


class Runner(Protocol):
    """Carries out the steps of ``sparkify.steps``: one at a time, or submitted to run beside the next ones."""

    def call(self, step: Callable[..., T], *args: Any) -> T: ...

    def submit(self, step: Callable[..., T], *args: Any) -> Future[T]: ...


@dataclass(frozen=True)
class Done:
    """A step already carried out: what a runner that runs one step at a time hands back for a submitted one."""

    value: Any

    def result(self) -> Any:
        return self.value


@dataclass(frozen=True)
class DirectRunner:
    """Calls each step in turn, announcing it by its task's name: ``plan``, and tests of the SQL's rules."""

    announce: Callable[[str], None] = lambda name: None

    def call(self, step: Callable[..., T], *args: Any) -> T:
        self.announce(steps.name_of(step))
        return step(*args)

    def submit(self, step: Callable[..., T], *args: Any) -> Future[T]:
        return Done(self.call(step, *args))


@dataclass(frozen=True)
class RunSummary:
    """What a run did, small enough to print and to keep as the flow's result."""

    window: str
    staged_events: int
    staged_songs: int
    songplays_loaded: int
    row_counts: dict[str, int] = field(default_factory=dict)
    checks_passed: int = 0
    rejected_events: int = 0
    rejected_songs: int = 0
    #: Per feed, what the ledger made of the listing: objects new, changed, unchanged.
    objects: dict[str, dict[str, int]] = field(default_factory=dict)
    #: Earlier windows loaded again because an event file they were loaded from changed since.
    reloaded_windows: list[str] = field(default_factory=list)
    #: Plays already loaded that a new catalog entry matched.
    plays_rematched: int = 0
    #: Days whose facts were kept because no readable day file was found for them: "kept N plays of DAY".
    kept: list[str] = field(default_factory=list)
    #: Checks that warned: the run completed, an alert went out.
    warnings: list[str] = field(default_factory=list)
    #: song_ids that more than one song file gives: "SONG_ID: kept FILE, not FILE".
    song_id_conflicts: list[str] = field(default_factory=list)
    #: The event files the window read, and those rejected whole (compressed otherwise than gzip, not text...).
    event_files: int | None = None
    event_files_rejected: int = 0
    #: What the listings skipped (no source file by its name), in one line per feed.
    skipped: list[str] = field(default_factory=list)

    @property
    def feeds(self) -> list[Staged]:
        """Per source feed: records read = staged + rejected (and the files, when counted)."""
        return [
            Staged("events", self.staged_events, self.rejected_events, self.event_files, self.event_files_rejected),
            Staged("songs", self.staged_songs, self.rejected_songs),
        ]

    def lines(self) -> list[str]:
        rows = ", ".join(f"{table} {count}" for table, count in self.row_counts.items())
        return [
            f"window: {self.window}",
            f"staged: {self.staged_events} events, {self.staged_songs} songs",
            *(f"{feed.describe()} (see rejected_records)" if feed.rejected else feed.describe() for feed in self.feeds),
            *(
                f"{feed} objects: {counts['new']} new, {counts['changed']} changed, {counts['unchanged']} unchanged"
                for feed, counts in self.objects.items()
            ),
            f"loaded: {self.songplays_loaded} songplays",
            *self.kept,
            f"earlier windows reloaded: {', '.join(self.reloaded_windows) or 'none'}",
            f"plays matched anew: {self.plays_rematched}",
            *(f"song_id in two files: {conflict}" for conflict in self.song_id_conflicts),
            *self.skipped,
            *([f"rows: {rows}"] if rows else []),
            f"checks: {self.checks_passed} passed",
            *(f"warning: {warning}" for warning in self.warnings),
        ]


def load(
    runner: Runner, config: RunConfig, run: LoadRun, target: Warehouse, source: Source | None = None
) -> RunSummary:
    """Every step of a run, in order: the tables, the catalog, the window, the earlier windows gone stale, the report.

    The catalog is listed from the start (it needs no warehouse, and holds none of its locks); the events stage
    beside the catalog's plan and staging; a window's three tables are built side by side. ``source`` is one
    already opened (a plan's); otherwise the run opens ``config.source``.
    """
    if source is None:
        source = runner.call(steps.prepare_source, config.source, config.s3_block, config.events_format, run.window)
    # runs in flight together (a backfill's windows, a worker's late runs) take turns where the engine needs it
    with target.exclusive():
        runner.call(steps.check_connections, target, source)
        listing = runner.submit(steps.list_catalog, source)
        runner.call(steps.create_tables, target)
        changes: EventChanges = runner.call(
            steps.plan_events, target, source, run, config.lookback_days, config.full_refresh
        )
        staging = runner.submit(steps.stage_events, target, source, run)
        songs: FeedChanges = runner.call(steps.plan_catalog, target, source, listing.result(), config.full_refresh)
        try:
            staged_songs = runner.call(steps.stage_songs, target, source, run, songs)
            staged_events = staging.result()
            runner.call(steps.check_rejects, [staged_events, staged_songs], target.max_errors, source.uri, run)
            catalog = runner.call(steps.load_catalog, target, source, run, songs, config.thresholds)
            main = _load_window(runner, config, target, source, run, changes.window_objects, staged_events)
        finally:
            runner.call(steps.drop_staging, target, run)
        reloads = [
            _reload(runner, config, target, source, run.reload(stale.window), stale.objects)
            for stale in changes.reloads
        ]
        runner.call(steps.listening_report, target, run)
    runner.call(steps.report_increment, songs, changes, catalog.rematched, run)
    failed = [publication for publication in (main, *reloads) if not publication.committed]
    if failed:
        raise DataQualityError(
            "\n".join(
                f"{publication.window}: {quality.failure_message('its', publication.checks)}" for publication in failed
            )
        )
    return RunSummary(
        window=str(run.window),
        staged_events=staged_events.staged,
        staged_songs=staged_songs.staged,
        songplays_loaded=main.songplays,
        row_counts=runner.call(steps.row_counts, target) if run.window.is_everything else {},
        checks_passed=sum(result.passed for result in (*catalog.checks, *main.checks)),
        rejected_events=staged_events.rejected,
        rejected_songs=staged_songs.rejected,
        objects={feed.feed: feed.counts() for feed in (songs, changes.events)},
        reloaded_windows=[str(stale.window) for stale in changes.reloads],
        plays_rematched=catalog.rematched,
        kept=[line for publication in (main, *reloads) for line in publication.describe_kept()],
        warnings=[result.describe() for publication in (main, *reloads) for result in publication.warnings],
        song_id_conflicts=[f"{song_id}: kept {kept}, not {other}" for song_id, kept, other in catalog.conflicts],
        event_files=staged_events.files,
        event_files_rejected=staged_events.files_rejected,
        skipped=[
            describe_skipped(source.uri, keys, config.events_format)
            for keys in (changes.skipped, listing.result().skipped)
            if keys
        ],
    )


def _reload(
    runner: Runner, config: RunConfig, target: Warehouse, source: Source, run: LoadRun, listed: Sequence[SourceObject]
) -> steps.Publication:
    """An earlier window loaded again whole, from the day files that changed since (late events)."""
    try:
        staged = runner.call(steps.stage_events, target, source, run)
        runner.call(steps.check_rejects, [staged], target.max_errors, source.uri, run)
        return _load_window(runner, config, target, source, run, listed, staged)
    finally:
        runner.call(steps.drop_staging, target, run)


def _load_window(
    runner: Runner,
    config: RunConfig,
    target: Warehouse,
    source: Source,
    run: LoadRun,
    listed: Sequence[SourceObject],
    staged: Staged,
) -> steps.Publication:
    """A window's rows built side by side in the run's own tables, then published in one checked transaction.

    A full load that finds no play at all stops: its source is surely not the one meant.
    """
    built = [runner.submit(steps.build_window_table, target, run, table) for table in WINDOW_TABLES]
    songplays = built[0].result()
    for other in built[1:]:
        other.result()
    if run.window.is_everything and songplays == 0:
        raise EmptySourceError(
            f"no NextSong event in {source.uri} for {run.window}: nothing to load. "
            "Check that the event logs were delivered (log_data/YYYY/MM/YYYY-MM-DD-events.json)."
        )
    checks = quality.table_checks(staged=True) if run.window.is_everything or config.full_refresh else ()
    checks = (*quality.window_checks(), *checks) if not run.window.is_everything else checks
    publication = runner.call(steps.publish_window, target, source, run, listed, checks, config.thresholds)
    runner.call(steps.report_checks, publication, run)
    return publication


__all__ = ["DirectRunner", "Done", "RunSummary", "Runner", "load"]
