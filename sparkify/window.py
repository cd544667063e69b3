"""The slice of event time a run is responsible for.

A run loads the events whose ``ts`` falls in ``[start, end)`` (UTC) and replaces
that slice of the fact table, which is what makes re-runs and backfills safe.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal, get_args

#: The lengths a scheduled run or a backfill cuts time into.
Interval = Literal["hour", "day"]
INTERVALS: tuple[Interval, ...] = get_args(Interval)
_STEPS: dict[Interval, timedelta] = {"hour": timedelta(hours=1), "day": timedelta(days=1)}

#: Bounds wide enough for any event; every engine stores them as TIMESTAMP.
_DAWN = datetime(1900, 1, 1)
_DUSK = datetime(9999, 12, 31)


def naive_utc(moment: datetime) -> datetime:
    """Event times are stored as naive UTC: aware datetimes are converted, naive ones taken as UTC.

    Always a plain ``datetime``: Prefect hands out Pendulum's subclass, whose ``replace`` is deprecated.
    """
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return datetime(
        moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second, moment.microsecond
    )


def floor(moment: datetime, interval: Interval) -> datetime:
    """The start of the UTC hour or day holding ``moment``, as naive UTC."""
    moment = naive_utc(moment)
    if interval == "day":
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if interval == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    raise ValueError(f"unknown interval {interval!r}: use one of {', '.join(INTERVALS)}")


@dataclass(frozen=True)
class Window:
    """A half-open UTC interval of event time, stored as naive UTC datetimes."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", naive_utc(self.start))
        object.__setattr__(self, "end", naive_utc(self.end))
        if self.start >= self.end:
            raise ValueError(f"window start {self.start} must be before its end {self.end}")

    @classmethod
    def everything(cls) -> Window:
        """The window of a full load: all events, whatever their time."""
        return cls(_DAWN, _DUSK)

    @classmethod
    def from_bounds(cls, start: datetime | None, end: datetime | None) -> Window:
        """Both bounds give a window, neither gives everything; one alone is a mistake."""
        if start is None and end is None:
            return cls.everything()
        if start is None or end is None:
            raise ValueError("give both window_start and window_end, or neither to load everything")
        return cls(start, end)

    @classmethod
    def completed_at(cls, moment: datetime, interval: Interval) -> Window:
        """The last whole interval over by ``moment``: the run scheduled at 10:00 loads [09:00, 10:00).

        As with Airflow's data interval, a run processes the period that has just
        ended, never the one still being written; a moment inside an hour (a late
        start) still means the hour before the one it falls in.
        """
        end = floor(moment, interval)
        return cls(end - _STEPS[interval], end)

    @classmethod
    def for_run(
        cls,
        start: datetime | None,
        end: datetime | None,
        interval: Interval | None,
        scheduled_at: datetime,
    ) -> Window:
        """A run's window: explicit bounds, else the interval completed at its scheduled time, else everything."""
        if interval is None:
            return cls.from_bounds(start, end)
        if start is not None or end is not None:
            raise ValueError("give either window_start and window_end or an interval, not both")
        return cls.completed_at(scheduled_at, interval)

    def split(self, interval: Interval) -> list[Window]:
        """Consecutive whole intervals covering the window (bounds widened to the interval), for backfills.

        Aligned windows are the ones scheduled runs load, so a backfill replaces
        exactly their facts, never half of one.
        """
        if self.is_everything:
            raise ValueError("a full load has no intervals: give a bounded window")
        start = floor(self.start, interval)
        step = _STEPS[interval]
        windows = []
        while start < self.end:
            windows.append(Window(start, start + step))
            start += step
        return windows

    @property
    def is_everything(self) -> bool:
        return self.start <= _DAWN and self.end >= _DUSK

    def days(self) -> Iterator[date]:
        """The UTC days the window touches: the daily log files it needs."""
        day = self.start.date()
        last = (self.end - timedelta(microseconds=1)).date()
        while day <= last:
            yield day
            day += timedelta(days=1)

    def params(self) -> dict[str, datetime]:
        """Bind parameters for the ``:window_start`` / ``:window_end`` of the load SQL."""
        return {"window_start": self.start, "window_end": self.end}

    def __str__(self) -> str:
        if self.is_everything:
            return "all events"
        return f"[{self.start.isoformat()}, {self.end.isoformat()})"
