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
from tasks.loading import load_dimension, load_songplays
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
            f"loaded: {self.songplays_loaded} songplays",
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
    """
    configured = get_settings()
    window = Window.for_run(window_start, window_end, interval, flow_run.scheduled_start_time)
    run = LoadRun.new(window, flow_run.id)
    target = connect(warehouse or configured.warehouse, block=warehouse_block, max_errors=max_errors)

    raw = prepare_source(source or configured.source, s3_block, events_format)
    # runs in flight together (a backfill's windows, a worker's late runs) take turns where the engine needs it
    with target.exclusive():
        create_tables(target)
        events, songs = PrefectFutureList(
            [stage_events.submit(target, raw, run), stage_songs.submit(target, raw, run)]
        ).result()
        try:
            check_rejects([events, songs], target.max_errors, raw, run)
        except TooManyBadRecordsError:
            drop_staging(target, run)  # the rejects stay in rejected_records: the staged rows are of no use
            raise
        try:
            songplays_loaded = load_songplays(target, run, raw.uri)
        except EmptySourceError:
            drop_staging(target, run)  # a quiet window is no crash: nothing of it is worth keeping
            raise
        PrefectFutureList([load_dimension.submit(target, table, run) for table in DIMENSIONS]).result()
        report = run_quality_checks(target, run)
        drop_staging(target, run)
        publish_listening_report(target, run)

    return RunSummary(
        window=str(window),
        staged_events=events.staged,
        staged_songs=songs.staged,
        songplays_loaded=songplays_loaded,
        row_counts=report.row_counts,
        checks_passed=len(report.results),
        rejected_events=events.rejected,
        rejected_songs=songs.rejected,
    )
