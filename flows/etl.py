"""The Sparkify ETL: raw song and event files into the star schema, checked.

Orchestration only; every step is a task under ``tasks/`` and every statement a
file under ``sql/``. Run it with ``python -m flows.etl`` (``--help`` for options).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from prefect import flow
from prefect.futures import PrefectFutureList
from prefect.runtime import flow_run

from sparkify import settings
from sparkify.errors import EmptySourceError
from sparkify.records import Staged, TooManyBadRecordsError
from sparkify.run import LoadRun
from sparkify.schema import DIMENSIONS
from sparkify.warehouse import connect
from sparkify.window import Interval, Window
from tasks.ledger import plan_catalog, plan_events, record_window, report_increment
from tasks.loading import load_catalog, load_dimension, load_songplays
from tasks.quality import run_quality_checks
from tasks.schema import create_tables
from tasks.source import prepare_source
from tasks.staging import check_rejects, drop_staging, stage_events, stage_songs


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

    @property
    def feeds(self) -> list[Staged]:
        """Per source feed: records read = staged + rejected."""
        return [
            Staged("events", self.staged_events, self.rejected_events),
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
            f"earlier windows reloaded: {', '.join(self.reloaded_windows) or 'none'}",
            f"plays matched anew: {self.plays_rematched}",
            f"rows: {rows}",
            f"checks: {self.checks_passed} passed",
        ]


@flow(name="sparkify-etl")
def sparkify_etl(
    source: str = settings.DEFAULT_SOURCE,
    warehouse: str = settings.DEFAULT_WAREHOUSE,
    window_start: datetime | None = None,
    window_end: datetime | None = None,
    interval: Interval | None = None,
    warehouse_block: str | None = None,
    s3_block: str | None = None,
    events_format: str = "json",
    max_errors: int | None = None,
    lookback_days: float = settings.LOOKBACK_DAYS,
    full_refresh: bool = False,
) -> RunSummary:
    """Loads the source's events of [window_start, window_end) (all of them by default) into the star schema.

    ``interval`` ("hour" or "day", set by the deployment's schedule) loads instead the
    interval completed at the run's scheduled start: the run due at 10:00 loads [09:00, 10:00).
    ``warehouse_block`` names a saved ``WarehouseConnection`` block, used instead of the
    ``warehouse`` URL: how a password and Redshift's COPY credentials reach a run.
    ``source`` is a folder or ``s3://bucket/prefix``; ``s3_block`` names a saved prefect-aws
    ``S3Bucket`` block to read it with (else the standard AWS credential chain), and
    ``events_format`` ("json" or "csv") says how the event logs are written.
    Bad records are kept in ``rejected_records``, not loaded; more than ``max_errors`` in a feed
    fails the run (default: the warehouse block's ``copy_max_error``, else SPARKIFY_COPY_MAX_ERROR, 100).
    Only song files new or changed since the ledger (``loaded_objects``) saw them are read; earlier windows
    loaded from an event file of the ``lookback_days`` before the window that changed since are reloaded.
    ``full_refresh`` ignores the ledger: the whole catalog is read, and a changed file's windows reloaded at any age.
    """
    window = Window.for_run(window_start, window_end, interval, flow_run.scheduled_start_time)
    run = LoadRun.new(window, flow_run.id)
    target = connect(warehouse, block=warehouse_block)
    if max_errors is not None:
        target.max_errors = max_errors  # Redshift's COPY skips as many (MAXERROR)

    raw = prepare_source(source, s3_block, events_format)
    # runs in flight together (a backfill's windows, a worker's late runs) take turns where the engine needs it
    with target.exclusive():
        create_tables(target)
        changes = plan_events(target, raw, run, lookback_days, full_refresh)
        # the catalog is listed while the events stage: a large catalog's listing costs no time of its own
        listed = plan_catalog.submit(target, raw, full_refresh)
        events, songs = PrefectFutureList(
            [stage_events.submit(target, raw, run), stage_songs.submit(target, raw, run, listed)]
        ).result()
        catalog_changes = listed.result()
        try:
            check_rejects([events, songs], target.max_errors, raw, run)
        except TooManyBadRecordsError:
            drop_staging(target, run)  # the rejects stay in rejected_records: the staged rows are of no use
            raise
        catalog = load_catalog(target, raw, run, catalog_changes)
        try:
            songplays_loaded = load_songplays(target, run, raw.uri)
        except EmptySourceError:
            drop_staging(target, run)  # a quiet window is no crash: nothing of it is worth keeping
            raise
        PrefectFutureList([load_dimension.submit(target, table, run) for table in DIMENSIONS]).result()
        report = run_quality_checks(target, run)
        record_window(target, raw, run, changes.window_objects)
        drop_staging(target, run)
        # late events: earlier windows whose files changed since they were loaded, each loaded again whole
        for reload in changes.reloads:
            earlier = run.reload(reload.window)
            check_rejects([stage_events(target, raw, earlier)], target.max_errors, raw, earlier)
            load_songplays(target, earlier, raw.uri, required=False)
            PrefectFutureList([load_dimension.submit(target, table, earlier) for table in DIMENSIONS]).result()
            run_quality_checks(target, earlier)
            record_window(target, raw, earlier, reload.objects)
            drop_staging(target, earlier)
    report_increment(catalog_changes, changes, catalog.rematched, run)

    return RunSummary(
        window=str(window),
        staged_events=events.staged,
        staged_songs=songs.staged,
        songplays_loaded=songplays_loaded,
        row_counts=report.row_counts,
        checks_passed=len(report.results),
        rejected_events=events.rejected,
        rejected_songs=songs.rejected,
        objects={feed.feed: feed.counts() for feed in (catalog_changes, changes.events)},
        reloaded_windows=[str(reload.window) for reload in changes.reloads],
        plays_rematched=catalog.rematched,
    )


if __name__ == "__main__":
    from flows.cli import main

    raise SystemExit(main())
