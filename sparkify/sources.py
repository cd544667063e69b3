"""Where the raw feeds live: a folder laid out like the S3 bucket.

``song_data/`` holds one JSON object per song file; ``log_data/YYYY/MM/``
holds one newline-delimited JSON file per UTC day, named ``YYYY-MM-DD-events.json``.
Objects are named by keys relative to the source's root, as in S3.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import BinaryIO, Protocol

from sparkify.window import Window

SONG_PREFIX = "song_data"
LOG_PREFIX = "log_data"


class SourceError(ValueError):
    """The source is missing or does not look like the Sparkify bucket."""


def event_file_key(day: date) -> str:
    """The key of a day's event log, as the application writes it."""
    return f"{LOG_PREFIX}/{day:%Y/%m}/{day:%Y-%m-%d}-events.json"


class Source(Protocol):
    """What a warehouse needs of a source: its keys, and their bytes as files or streams."""

    @property
    def uri(self) -> str: ...

    def song_keys(self) -> list[str]: ...

    def event_keys(self, window: Window) -> list[str]: ...

    def local_files(self, keys: list[str]) -> AbstractContextManager[list[Path]]: ...

    def open(self, key: str) -> AbstractContextManager[BinaryIO]: ...


@dataclass(frozen=True)
class LocalSource:
    """A local folder with ``song_data/`` and ``log_data/``."""

    root: Path

    @property
    def uri(self) -> str:
        return str(self.root)

    def _folder(self, prefix: str) -> Path:
        folder = self.root / prefix
        if not folder.is_dir():
            raise SourceError(f"{self.root} has no {prefix}/ folder: is it a Sparkify source?")
        return folder

    def _keys(self, prefix: str) -> list[str]:
        folder = self._folder(prefix)
        return sorted(p.relative_to(self.root).as_posix() for p in folder.rglob("*.json") if p.is_file())

    def song_keys(self) -> list[str]:
        """Every song file of the catalog."""
        keys = self._keys(SONG_PREFIX)
        if not keys:
            raise SourceError(f"{self.root / SONG_PREFIX} holds no song files")
        return keys

    def event_keys(self, window: Window) -> list[str]:
        """The day files a window needs; a full load takes every file under log_data/."""
        if window.is_everything:
            return self._keys(LOG_PREFIX)
        self._folder(LOG_PREFIX)
        return [key for key in map(event_file_key, window.days()) if (self.root / key).is_file()]

    @contextmanager
    def local_files(self, keys: list[str]) -> Iterator[list[Path]]:
        """Paths an embedded engine can read directly."""
        yield [self.root / key for key in keys]

    def open(self, key: str) -> AbstractContextManager[BinaryIO]:
        """The object's bytes, streamed."""
        return (self.root / key).open("rb")
