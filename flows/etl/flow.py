"""The Sparkify ETL: raw song and event files into the star schema, checked.

Orchestration only: the run's configuration is resolved once, then the one sequence of steps
(``sparkify.pipeline``) is walked with each step a Prefect task (``tasks``). Run it with
``python -m flows.etl`` or ``sparkify run`` (``--help`` for options): the command line
(``flows/cli.py``) imports this module, never the other way round.
"""

from __future__ import annotations

from datetime import datetime

from prefect import State, flow
from prefect.runtime import flow_run
from prefect.states import Failed

from sparkify import pipeline
from sparkify.config import RunConfig
from sparkify.errors import PipelineError, log_messages_only
from sparkify.pipeline import RunSummary
from sparkify.run import LoadRun
from sparkify.warehouse import connect
from sparkify.window import Interval
from tasks import TaskRunner


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
) -> RunSummary | State:
    """Loads the source's events of a window (all of them by default) into the star schema, then checks it.

    Args:
        source: Folder or s3://bucket/prefix holding song_data/ and log_data/ (default: SPARKIFY_SOURCE, else the
            generated sample in data/sample, created on first use).
        warehouse: SQLAlchemy URL of the warehouse (default: SPARKIFY_WAREHOUSE, else the DuckDB file
            data/sparkify.duckdb). A flow run refuses a URL holding a password, which it would store in the clear:
            the password goes in a WarehouseConnection block or SPARKIFY_WAREHOUSE_PASSWORD (the command line moves
            one given in --warehouse there).
        window_start: The window's start: events at or after this UTC time (2018-11-01 or 2018-11-01T13:00), with
            window_end (default: no window, every event).
        window_end: The window's end: events before this UTC time, with window_start.
        interval: "hour" or "day", set by the deployment's schedule: load the interval completed at the run's
            scheduled start (the run due at 10:00 loads [09:00, 10:00)) instead of a given window.
        warehouse_block: Name of a saved WarehouseConnection block, used instead of warehouse: how a password and
            Redshift's COPY credentials reach a run.
        s3_block: Name of a saved prefect-aws S3Bucket block to read an s3:// source with (default: the standard
            AWS credential chain: AWS_* variables, profiles, instance role).
        events_format: How the event logs are written, log_data/YYYY/MM/YYYY-MM-DD-events.<format>: "json" or
            "csv" (one object a line, or a header row then one record a line).
        max_errors: Bad records (kept in rejected_records) a feed may have before the run fails; also Redshift
            COPY's MAXERROR (default: the block's copy_max_error, else SPARKIFY_COPY_MAX_ERROR, 100).
        lookback_days: Late events: the event files of this many UTC days before the window are re-examined, and
            the earlier windows loaded from one that changed since are reloaded (default: SPARKIFY_LOOKBACK_DAYS, 2;
            0 looks at none).
        full_refresh: Ignore the ledger of loaded files (loaded_objects): read the whole catalog again, and reload
            a changed event file's windows at any age.
    """
    log_messages_only()
    window = ""
    try:
        config = RunConfig.resolve(
            source=source,
            warehouse=warehouse,
            window_start=window_start,
            window_end=window_end,
            interval=interval,
            scheduled_at=flow_run.scheduled_start_time,
            warehouse_block=warehouse_block,
            s3_block=s3_block,
            events_format=events_format,
            max_errors=max_errors,
            lookback_days=lookback_days,
            full_refresh=full_refresh,
        )
        window = str(config.window)
        try:
            target = connect(config.target)
        except ValueError as refused:  # an engine refusing its URL (an in-memory DuckDB): the run's mistake, said so
            return Failed(message=f"{window}: {refused}", data=refused)
        runner = TaskRunner(config.task_retries, config.retry_delay_seconds)
        return pipeline.load(runner, config, LoadRun.new(config.window, flow_run.id), target)
    except PipelineError as error:
        # a mistake ends the run Failed with its message (the window first, as the alerts show it), no traceback
        message = str(error) if str(error).startswith(window) else f"{window}: {error}"
        return Failed(message=message, data=error)
