"""A run's configuration, resolved once, in one place: flow parameters, then a block, then ``SPARKIFY_*`` settings.

The flow resolves a :class:`RunConfig` as its first step and hands it on; no other module reads the settings for a
run. Each value is validated here, once, with a message that names the parameter to change (the command line shows
it as its option, ``sparkify.options``). The warehouse is resolved as far as the block goes
(:class:`WarehouseTarget`): ``sparkify.warehouse.connect`` opens what this resolves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, get_args

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from sparkify.errors import PipelineError
from sparkify.quality import Thresholds
from sparkify.settings import MAX_ERROR_BUDGET, Driver, Settings, get_settings
from sparkify.sources import EVENTS_FORMATS
from sparkify.window import INTERVALS, Interval, Window

if TYPE_CHECKING:
    from sparkify.blocks import WarehouseConnection

#: The engines a warehouse URL may name: those of the drivers a WarehouseConnection block offers.
BACKENDS: tuple[str, ...] = tuple(sorted({driver.split("+")[0] for driver in get_args(Driver)}))


class ConfigError(PipelineError, ValueError):
    """A parameter or setting the run cannot use; the message says which and what would do."""

    def __init__(self, message: str, option: str | None = None) -> None:
        super().__init__(message)
        #: The parameter at fault, when one is: the command line names it as its option.
        self.option = option


@dataclass(frozen=True)
class WarehouseTarget:
    """The warehouse a run writes, resolved: its URL, its error budget, and the block it came from, if any."""

    #: The password included when one was given (block, URL or SPARKIFY_WAREHOUSE_PASSWORD); str() and repr() mask it.
    url: sa.URL
    #: Bad records a feed may have before the run fails: the run's, else the block's, else the settings'.
    max_errors: int
    #: The block, when one names the warehouse: engines read more from it (Redshift's COPY credentials).
    connection: WarehouseConnection | None = None

    @classmethod
    def resolve(
        cls,
        warehouse: str | sa.URL | None = None,
        block: str | WarehouseConnection | None = None,
        max_errors: int | None = None,
        settings: Settings | None = None,
    ) -> WarehouseTarget:
        """A block (its name, or itself) over the URL over ``SPARKIFY_WAREHOUSE``.

        A URL without a password (DuckDB's aside) takes ``SPARKIFY_WAREHOUSE_PASSWORD``: a password never needs to
        travel in a flow parameter.
        """
        configured = settings or get_settings()
        if block is not None:
            connection = _load_block(block) if isinstance(block, str) else block
            budget = error_budget(max_errors, connection.copy_max_error, configured)
            return cls(_supported(connection.url(), "warehouse_block"), budget, connection)
        url = _supported(_parse(warehouse or configured.warehouse), "warehouse")
        password = configured.warehouse_password
        if url.password is None and url.get_backend_name() != "duckdb" and password is not None:
            url = url.set(password=password.get_secret_value())
        return cls(url, error_budget(max_errors, None, configured))


@dataclass(frozen=True)
class RunConfig:
    """Everything a run is told: what to load, from where, into which warehouse, and how to judge it."""

    source: str
    window: Window
    target: WarehouseTarget
    s3_block: str | None = None
    events_format: str = "json"
    lookback_days: float = 2
    full_refresh: bool = False
    task_retries: int = 3
    retry_delay_seconds: float = 300
    thresholds: Thresholds = field(default_factory=Thresholds)

    @classmethod
    def resolve(
        cls,
        *,
        source: str | None = None,
        warehouse: str | None = None,
        window_start: datetime | None = None,
        window_end: datetime | None = None,
        interval: Interval | None = None,
        scheduled_at: datetime | None = None,
        warehouse_block: str | None = None,
        s3_block: str | None = None,
        events_format: str = "json",
        max_errors: int | None = None,
        lookback_days: float | None = None,
        full_refresh: bool = False,
        settings: Settings | None = None,
    ) -> RunConfig:
        """The flow's parameters over the block over the settings (read now, once); every value checked."""
        configured = settings or get_settings()
        window = run_window(window_start, window_end, interval, scheduled_at or datetime.now())
        if events_format not in EVENTS_FORMATS:
            raise ConfigError(
                f"unknown events format {events_format!r}: use one of {', '.join(EVENTS_FORMATS)}", "events_format"
            )
        lookback = configured.lookback_days if lookback_days is None else lookback_days
        if lookback < 0:
            raise ConfigError(f"lookback_days must be 0 or more, not {lookback:g}", "lookback_days")
        if warehouse is not None:
            _refuse_password(warehouse)
        return cls(
            source=source or configured.source,
            window=window,
            target=WarehouseTarget.resolve(warehouse, warehouse_block, max_errors, configured),
            s3_block=s3_block,
            events_format=events_format,
            lookback_days=lookback,
            full_refresh=full_refresh,
            task_retries=configured.task_retries,
            retry_delay_seconds=configured.retry_delay_seconds,
            thresholds=Thresholds(
                freshness_warn_minutes=configured.freshness_warn_minutes,
                freshness_error_minutes=configured.freshness_error_minutes,
                missing_file_error_hours=configured.missing_file_error_hours,
                volume_warn_ratio=configured.volume_warn_ratio,
                volume_error_ratio=configured.volume_error_ratio,
                volume_min_plays=configured.volume_min_plays,
            ),
        )


def run_window(
    start: datetime | None, end: datetime | None, interval: Interval | None, scheduled_at: datetime
) -> Window:
    """Explicit bounds, else the interval completed at the scheduled time, else every event."""
    if interval is not None:
        _check_interval(interval)
        if start is not None or end is not None:
            raise ConfigError("give either window_start and window_end or an interval, not both", "interval")
        return Window.completed_at(scheduled_at, interval)
    if (start is None) != (end is None):
        raise ConfigError("give both window_start and window_end, or neither to load every event", "window_start")
    if start is None or end is None:
        return Window.everything()
    return _window(start, end, "window_start", "window_end")


def backfill_windows(start: datetime, end: datetime, interval: Interval) -> list[Window]:
    """The whole intervals a backfill of ``[start, end)`` loads, each as a run of its own."""
    _check_interval(interval)
    return _window(start, end, "start", "end").split(interval)


def day_range(start: date | datetime, end: date | datetime) -> Window:
    """A range given by days or times: a day starts at its midnight and, as the end, is included (it ends at the
    next midnight); a time is an instant."""
    first = start if isinstance(start, datetime) else datetime.combine(start, time())
    last = end if isinstance(end, datetime) else datetime.combine(end + timedelta(days=1), time())
    if first >= last:
        raise ConfigError(f"the range from start {start} to end {end} is empty: end must not come before start", "end")
    return Window(first, last)


def error_budget(run: int | None, block: int | None = None, settings: Settings | None = None) -> int:
    """Bad records a feed may have before the run fails: the run's, else the block's, else the settings'."""
    budget = next((value for value in (run, block) if value is not None), None)
    if budget is None:
        return (settings or get_settings()).copy_max_error
    if not 0 <= budget <= MAX_ERROR_BUDGET:
        raise ConfigError(
            f"the error budget (max_errors) must be from 0 to {MAX_ERROR_BUDGET:,} (Redshift's COPY takes no more), "
            f"not {budget}",
            "max_errors",
        )
    return budget


def _window(start: datetime, end: datetime, start_name: str, end_name: str) -> Window:
    try:
        return Window(start, end)
    except ValueError:
        raise ConfigError(f"{start_name} {start} must be before {end_name} {end}", start_name) from None


def _check_interval(interval: str) -> None:
    if interval not in INTERVALS:
        raise ConfigError(f"unknown interval {interval!r}: use one of {', '.join(INTERVALS)}", "interval")


def _parse(url: str | sa.URL) -> sa.URL:
    try:
        return make_url(url)
    except ArgumentError:
        raise ConfigError(
            f"the warehouse {url!r} is not a SQLAlchemy URL: e.g. duckdb:///data/sparkify.duckdb or "
            "postgresql+psycopg://user@host/db",
            "warehouse",
        ) from None


def _supported(url: sa.URL, option: str) -> sa.URL:
    backend = url.get_backend_name()
    if backend not in BACKENDS:
        raise ConfigError(f"unsupported warehouse {backend!r} in {url!r}: use one of {', '.join(BACKENDS)}", option)
    return url


def _load_block(name: str) -> WarehouseConnection:
    # imported here: prefect-aws (which the block type needs) is slow to import and local runs skip it
    from sparkify.blocks import WarehouseConnection

    try:
        return WarehouseConnection.load(name)
    except ValueError:  # Prefect's "Unable to find block document named …"
        raise ConfigError(
            f"no WarehouseConnection block named {name!r} on the Prefect server: save one "
            "(python -m deployments.blocks) or check the name",
            "warehouse_block",
        ) from None


def _refuse_password(url: str) -> None:
    """A flow run's parameters are stored in the clear: a password never travels in one."""
    if _parse(url).password:
        raise ConfigError(
            "the warehouse URL holds a password, which a flow run would store in the clear with its parameters: "
            "save it in a WarehouseConnection block (warehouse_block) or set SPARKIFY_WAREHOUSE_PASSWORD where the "
            "run executes, and give the URL without it",
            "warehouse",
        )
