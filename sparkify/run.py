"""What one flow run owns: its window and its private staging tables."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlalchemy as sa

from sparkify import schema
from sparkify.window import Window


@dataclass(frozen=True)
class LoadRun:
    """A run's identity: staging tables named after it never collide with another run's."""

    key: str
    window: Window

    @classmethod
    def new(cls, window: Window, run_id: str | uuid.UUID | None = None) -> LoadRun:
        run_uuid = uuid.UUID(str(run_id)) if run_id else uuid.uuid4()
        return cls(key=run_uuid.hex[:16], window=window)

    @property
    def staging_events(self) -> sa.Table:
        return schema.staging_events(f"staging_events_{self.key}")

    @property
    def staging_songs(self) -> sa.Table:
        return schema.staging_songs(f"staging_songs_{self.key}")

    @property
    def staging_tables(self) -> dict[str, str]:
        """The placeholders the SQL files use for this run's tables."""
        return {"staging_events": self.staging_events.name, "staging_songs": self.staging_songs.name}
