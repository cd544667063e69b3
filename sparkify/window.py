"""The slice of event time a run is responsible for.

A run loads the events whose ``ts`` falls in ``[start, end)`` (UTC) and replaces
that slice of the fact table, which is what makes re-runs and backfills safe.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

#: Bounds wide enough for any event; every engine stores them as TIMESTAMP.
_DAWN = datetime(1900, 1, 1)
_DUSK = datetime(9999, 12, 31)


def _naive_utc(moment: datetime) -> datetime:
    """Event times are stored as naive UTC: aware datetimes are converted, naive ones taken as UTC."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


@dataclass(frozen=True)
class Window:
    """A half-open UTC interval of event time, stored as naive UTC datetimes."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", _naive_utc(self.start))
        object.__setattr__(self, "end", _naive_utc(self.end))
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
