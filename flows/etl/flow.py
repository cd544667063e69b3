"""The Sparkify ETL: raw song and event files into the star schema, checked.

Orchestration only; every step is a task under ``tasks/`` and every statement a
file under ``sql/``. Run it with ``python -m flows.etl`` or ``sparkify run`` (``--help`` for options):
the command line (``flows/cli.py``) imports this module, never the other way round.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from prefect import flow
from prefect.futures import PrefectFutureList
from prefect.runtime import flow_run

from sparkify.errors import EmptySourceError
from sparkify.records import Staged, TooManyBadRecordsError
from sparkify.run import LoadRun
from sparkify.schema import DIMENSIONS
from sparkify.settings import get_settings
from sparkify.warehouse import connect
from sparkify.window import Interval, Window
from tasks.ledger import list_catalog, plan_catalog, plan_events, record_window, report_increment
from tasks.loading import load_catalog, load_dimension, load_songplays
from tasks.quality import run_quality_checks
from tasks.report import publish_listening_report
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
    source: str | None = None,
    warehouse: str | None = None,
    window_start: datetime | None = None,
    window_end: datetime | None = None,
    interval: Interval | None = None,
    warehouse_block: str | None = None,
    s3_block: str | None = None,
    events_format: str = "json",
    max_errors: int | None = None,
    lookback_days: float | None = None,
    full_refresh: bool = False,
) -> RunSummary:
    """Loads the source's events of a window (all of them by default) into the star schema, then checks it.

    Args:
        source: Folder or s3://bucket/prefix holding song_data/ and log_data/ (default: SPARKIFY_SOURCE,
            else the generated sample in data/sample).
        warehouse: SQLAlchemy URL of the warehouse (default: SPARKIFY_WAREHOUSE, else the DuckDB file
            data/sparkify.duckdb). A password belongs in a block, not here: parameters are stored in the clear.
        window_start: Load only events at or after this time (UTC), with window_end.
        window_end: Load only events before this time (UTC), with window_start.
        interval: "hour" or "day", set by the deployment's schedule: load the interval completed at the
            run's scheduled start (the run due at 10:00 loads [09:00, 10:00)) instead of a given window.
        warehouse_block: Name of a saved WarehouseConnection block, used instead of warehouse: how a
            password and Redshift's COPY credentials reach a run.
        s3_block: Name of a saved prefect-aws S3Bucket block to read an s3:// source with (default: the
            standard AWS credential chain).
        events_format: "json" (one object a line) or "csv" (a header row): how the event logs are written.
        max_errors: Bad records (kept in rejected_records) a feed may have before the run fails (default:
            the block's copy_max_error, else SPARKIFY_COPY_MAX_ERROR, 100).
        lookback_days: Late events: the event files of this many UTC days before the window are re-examined, and
            the earlier windows loaded from one that changed since are reloaded (default: SPARKIFY_LOOKBACK_DAYS, 2).
        full_refresh: Ignore the ledger of loaded files (loaded_objects): read the whole catalog again, and reload
            a changed event file's windows at any age.
    """
    configured = get_settings()
    window = Window.for_run(window_start, window_end, interval, flow_run.scheduled_start_time)
    run = LoadRun.new(window, flow_run.id)
    target = connect(warehouse or configured.warehouse, block=warehouse_block, max_errors=max_errors)

    raw = prepare_source(source or configured.source, s3_block, events_format)
    # the catalog is listed while the tables are made and the events planned and staged
    listing = list_catalog.submit(raw)
    # runs in flight together (a backfill's windows, a worker's late runs) take turns where the engine needs it
    with target.exclusive():
        create_tables(target)
        lookback = configured.lookback_days if lookback_days is None else lookback_days
        changes = plan_events(target, raw, run, lookback, full_refresh)
        staging = [stage_events.submit(target, raw, run)]
        # results taken here, not futures handed on, so a failed listing (no song_data/, say) raises its own
        # error; plan-catalog is submitted rather than called so that it queues after stage-events, as `plan` shows
        catalog_changes = plan_catalog.submit(target, raw, listing.result(), full_refresh).result()
        staging.append(stage_songs.submit(target, raw, run, catalog_changes))
        events, songs = PrefectFutureList(staging).result()
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
        publish_listening_report(target, run)
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
