"""A run's configuration, resolved once, in one place: flow parameters, then a block, then ``SPARKIFY_*`` settings.

The flow resolves a :class:`RunConfig` as its first step and hands it on; no other module reads the settings for a
run. Each value is validated here, once, with a message that names what to change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from sparkify.errors import PipelineError
from sparkify.quality import Thresholds
from sparkify.settings import MAX_ERROR_BUDGET, Settings, get_settings
from sparkify.sources import EVENTS_FORMATS
from sparkify.window import Interval, Window


class ConfigError(PipelineError, ValueError):
    """A parameter or setting the run cannot use; the message says which and what would do."""


@dataclass(frozen=True)
class RunConfig:
    """Everything a run is told: what to load, from where, into which warehouse, and how to judge it."""

    source: str
    window: Window
    #: A SQLAlchemy URL without a password, or None when a block names the warehouse.
    warehouse: str | None = None
    warehouse_block: str | None = None
    s3_block: str | None = None
    events_format: str = "json"
    #: The run's error budget as given (None: the block's, else the settings').
    max_errors: int | None = None
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
        """The flow's parameters over the settings (read now, once); every value checked."""
        configured = settings or get_settings()
        try:
            window = Window.for_run(window_start, window_end, interval, scheduled_at or datetime.now())
        except ValueError as error:
            raise ConfigError(f"invalid window: {error}") from None
        if events_format not in EVENTS_FORMATS:
            raise ConfigError(f"unknown events format {events_format!r}: use one of {', '.join(EVENTS_FORMATS)}")
        if max_errors is not None and not 0 <= max_errors <= MAX_ERROR_BUDGET:
            raise ConfigError(
                f"the error budget (max_errors) must be from 0 to {MAX_ERROR_BUDGET:,} (Redshift's COPY takes no "
                f"more), not {max_errors}"
            )
        lookback = configured.lookback_days if lookback_days is None else lookback_days
        if lookback < 0:
            raise ConfigError(f"lookback_days must be 0 or more, not {lookback:g}")
        target = None if warehouse_block else (warehouse or configured.warehouse)
        if target is not None and warehouse is not None:
            _refuse_password(warehouse)
        return cls(
            source=source or configured.source,
            window=window,
            warehouse=target,
            warehouse_block=warehouse_block,
            s3_block=s3_block,
            events_format=events_format,
            max_errors=max_errors,
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


def _refuse_password(url: str) -> None:
    """A flow run's parameters are stored in the clear: a password never travels in one."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(
            f"the warehouse {url!r} is not a SQLAlchemy URL: e.g. duckdb:///data/sparkify.duckdb or "
            "postgresql+psycopg://user@host/db"
        ) from None
    if parsed.password:
        raise ConfigError(
            "the warehouse URL holds a password, which a flow run would store in the clear with its parameters: "
            "save it in a WarehouseConnection block (warehouse_block) or set SPARKIFY_WAREHOUSE_PASSWORD where the "
            "run executes, and give the URL without it"
        )
