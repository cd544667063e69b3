"""Backfills: every window of a range loaded by its own ``sparkify-etl`` flow run, a few at a time.

The parent ``sparkify-backfill`` flow submits one task per window; each task calls
the ETL flow, so every window is a flow run of its own (a subflow, listed under the
backfill in the UI) with its own state, logs and quality report. A window that
fails is reported, not raised: one bad day must not stop a month. Windows replace
their own facts, so running a range again is safe.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from prefect import State, flow, get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.states import Failed
from prefect.task_runners import ThreadPoolTaskRunner

from flows.etl.flow import sparkify_etl
from sparkify.config import ConfigError, RunConfig, backfill_windows
from sparkify.errors import PipelineError, log_messages_only
from sparkify.options import CONCURRENCY
from sparkify.window import Interval, Window

#: How many windows load at once unless told otherwise: the deployment's limit of runs in flight.
DEFAULT_CONCURRENCY: int = CONCURRENCY.default

Status = Literal["ok", "empty", "failed"]


@dataclass(frozen=True)
class WindowOutcome:
    """How one window's run ended."""

    window: str
    status: Status
    songplays: int = 0
    detail: str = ""


@dataclass(frozen=True)
class BackfillSummary:
    """Every window's outcome, in time order."""

    interval: Interval
    outcomes: list[WindowOutcome]

    def count(self, status: Status) -> int:
        return sum(outcome.status == status for outcome in self.outcomes)

    @property
    def songplays(self) -> int:
        return sum(outcome.songplays for outcome in self.outcomes)

    @property
    def ok(self) -> bool:
        """Quiet windows are reported but do not fail a backfill; failed ones do (a day file missing past its
        threshold among them: the window's facts are kept, and the summary says so)."""
        return self.count("failed") == 0

    def lines(self) -> list[str]:
        lines = [
            f"windows: {len(self.outcomes)} of one {self.interval}: {self.count('ok')} ok, "
            f"{self.count('empty')} without plays, {self.count('failed')} failed",
            f"songplays loaded: {self.songplays}",
        ]
        for outcome in self.outcomes:
            if outcome.status == "empty":
                lines.append(f"without plays: {outcome.window}")
            if outcome.status == "failed":
                lines.append(f"failed: {outcome.window}: {outcome.detail}")
            elif outcome.detail:
                lines.append(f"facts kept: {outcome.window}: {outcome.detail}")
        return lines


@task(name="load-window", task_run_name="load-{window}")
def load_window(window: Window, options: dict[str, Any]) -> WindowOutcome:
    """Loads one window through its own ETL flow run and says how it ended instead of raising.

    No retries here: the ETL's tasks already retry what is transient, and a window
    that still fails is better re-run on its own once the cause is fixed.
    """
    etl = sparkify_etl.with_options(flow_run_name=f"window-{window.start:%Y-%m-%dT%H:%M}")
    try:
        summary = etl(window_start=window.start, window_end=window.end, **options)
    except Exception as error:  # any failure of one window is reported, the others go on
        return WindowOutcome(str(window), "failed", detail=f"{type(error).__name__}: {error}")
    # a quiet window (its day file read, no play in it) completes: counted apart, fatal to nothing
    status: Status = "ok" if summary.songplays_loaded else "empty"
    return WindowOutcome(str(window), status, songplays=summary.songplays_loaded, detail="; ".join(summary.kept))


@flow(name="sparkify-backfill", task_runner=ThreadPoolTaskRunner(max_workers=DEFAULT_CONCURRENCY))
def sparkify_backfill(
    start: datetime,
    end: datetime,
    interval: Interval = "day",
    source: str | None = None,
    warehouse: str | None = None,
    warehouse_block: str | None = None,
    s3_block: str | None = None,
    events_format: str = "json",
    max_errors: int | None = None,
) -> BackfillSummary | State:
    """Loads every whole interval of [start, end) as its own sparkify-etl flow run; returns the outcomes.

    Args:
        start: First instant of the range (UTC).
        end: The range ends before this instant (UTC).
        interval: "hour" or "day": the length of each window.
        source: Folder or s3://bucket/prefix holding song_data/ and log_data/ (default: SPARKIFY_SOURCE, else the
            generated sample in data/sample, created on first use).
        warehouse: SQLAlchemy URL of the warehouse (default: SPARKIFY_WAREHOUSE, else the DuckDB file
            data/sparkify.duckdb). A flow run refuses a URL holding a password, which it would store in the clear:
            the password goes in a WarehouseConnection block or SPARKIFY_WAREHOUSE_PASSWORD (the command line moves
            one given in --warehouse there).
        warehouse_block: Name of a saved WarehouseConnection block, used instead of warehouse: how a password and
            Redshift's COPY credentials reach a run.
        s3_block: Name of a saved prefect-aws S3Bucket block to read an s3:// source with (default: the standard
            AWS credential chain: AWS_* variables, profiles, instance role).
        events_format: How the event logs are written, log_data/YYYY/MM/YYYY-MM-DD-events.<format>: "json" or
            "csv" (one object a line, or a header row then one record a line).
        max_errors: Bad records (kept in rejected_records) a feed may have before the run fails; also Redshift
            COPY's MAXERROR (default: the block's copy_max_error, else SPARKIFY_COPY_MAX_ERROR, 100).
    """
    log_messages_only()
    options = {
        "source": source,
        "warehouse": warehouse,
        "warehouse_block": warehouse_block,
        "s3_block": s3_block,
        "events_format": events_format,
        "max_errors": max_errors,
    }
    try:
        windows = backfill_windows(start, end, interval)
        RunConfig.resolve(**options)  # a mistake fails the backfill once, not each of its windows
    except PipelineError as error:
        return Failed(message=str(error), data=error)
    get_run_logger().info("backfilling %d windows of one %s from %s to %s", len(windows), interval, start, end)
    futures = [load_window.submit(window, options) for window in windows]
    summary = BackfillSummary(interval=interval, outcomes=[future.result() for future in futures])
    create_table_artifact(
        key="sparkify-backfill",
        table=[
            {"window": o.window, "status": o.status, "songplays": o.songplays, "detail": o.detail}
            for o in summary.outcomes
        ],
        description="\n".join(summary.lines()[:2]),
    )
    return summary


def backfill(concurrency: int = DEFAULT_CONCURRENCY, **parameters: Any) -> State:
    """Runs the backfill flow (``parameters`` are its own) with at most ``concurrency`` windows in flight; returns its
    final state."""
    if concurrency < 1:
        raise ConfigError(f"concurrency must be at least 1, not {concurrency}", "concurrency")
    bounded = sparkify_backfill.with_options(task_runner=ThreadPoolTaskRunner(max_workers=concurrency))
    return bounded(**parameters, return_state=True)
