"""What one flow run owns: its window and its private staging tables."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from sparkify import schema
from sparkify.window import Window

#: The tables a window's run builds its rows in before it publishes them.
WINDOW_TABLES = ("songplays", "users", "time")
#: A crashed run's staging tables stay this long, then a later run drops them: far longer than any run takes.
STALE_AFTER = timedelta(days=1)
#: Per-run staging tables carry the minute their run started (UTC) before its id: their age is in their name.
_STAGING_NAME = re.compile(r"^staging_[a-z]+_(?P<started>\d{12})_[0-9a-f]{16}$")
_STARTED = "%Y%m%d%H%M"


@dataclass(frozen=True)
class LoadRun:
    """A run's identity: staging tables named after it never collide with another run's."""

    key: str
    window: Window

    @classmethod
    def new(cls, window: Window, run_id: str | uuid.UUID | None = None, started: datetime | None = None) -> LoadRun:
        run_uuid = uuid.UUID(str(run_id)) if run_id else uuid.uuid4()
        started = (started or datetime.now(UTC)).astimezone(UTC)
        return cls(key=f"{started:{_STARTED}}_{run_uuid.hex[:16]}", window=window)

    def reload(self, window: Window) -> LoadRun:
        """This run's load of an earlier window (late events): staging tables of its own, swept like the run's."""
        started = self.key.split("_", 1)[0]
        return LoadRun(key=f"{started}_{hashlib.md5(f'{self.key} {window}'.encode()).hexdigest()[:16]}", window=window)

    @property
    def staging_events(self) -> sa.Table:
        return schema.staging_events(f"staging_events_{self.key}")

    @property
    def staging_songs(self) -> sa.Table:
        return schema.staging_songs(f"staging_songs_{self.key}")

    def window_table(self, table: str) -> sa.Table:
        """The run's own table of the rows it will publish into ``table`` (songplays, users, time)."""
        return schema.window_table(schema.metadata.tables[table], f"staging_{table}_{self.key}")

    @property
    def tables(self) -> tuple[sa.Table, ...]:
        """Every table the run makes for itself, dropped once it is done (or swept a day after a crash)."""
        return (self.staging_events, self.staging_songs, *(self.window_table(name) for name in WINDOW_TABLES))

    @property
    def staging_tables(self) -> dict[str, str]:
        """The placeholders the SQL files use for this run's tables."""
        return {
            "staging_events": self.staging_events.name,
            "staging_songs": self.staging_songs.name,
            **{f"window_{name}": self.window_table(name).name for name in WINDOW_TABLES},
        }


def stale_staging(tables: Iterable[str], now: datetime | None = None) -> list[str]:
    """The staging tables among ``tables`` that runs started over :data:`STALE_AFTER` ago left behind."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    stale = []
    for name in tables:
        match = _STAGING_NAME.fullmatch(name)
        if match and datetime.strptime(match["started"], _STARTED).replace(tzinfo=UTC) < now - STALE_AFTER:
            stale.append(name)
    return sorted(stale)
