"""Sources as a plan reads them: listed as a run lists them (a local folder), or not at all (S3), and no object's
bytes read: comment lines say what a run finds and reads instead."""

from __future__ import annotations

import io
import json
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from sparkify.dryrun.recorder import DOWNLOAD_FOLDER, RecordingEngine
from sparkify.records import SONG_FIELDS
from sparkify.sources import (
    EVENT_COLUMNS,
    LOG_PREFIX,
    SONG_PREFIX,
    EventListing,
    ListedSource,
    LocalSource,
    S3Source,
    SongListing,
    Source,
    SourceObject,
    event_file_key,
    open_source,
)
from sparkify.window import Window

#: What a plan reads in place of an object's bytes: an empty file, no record to stage nor to reject.
PLACEHOLDER_CONTENT = b""
#: What a plan reads in place of the song files Redshift compacts: one good song, every field null.
PLANNED_SONG_FILE = json.dumps(dict.fromkeys(SONG_FIELDS)).encode()


@dataclass(frozen=True)
class _PlannedSource(ListedSource):
    """A source as a plan reads it: the real one's names and keys, but no object's bytes."""

    source: LocalSource | S3Source

    @property
    def uri(self) -> str:
        return self.source.uri

    @property
    def events_format(self) -> str:
        return self.source.events_format

    @contextmanager
    def open(self, key: str) -> Iterator[BinaryIO]:
        yield io.BytesIO(PLACEHOLDER_CONTENT)

    def check(self) -> None:
        """A plan reaches nothing: a run lists the source here first."""

    def head(self, key: str, size: int) -> bytes:
        return PLACEHOLDER_CONTENT[:size]


@dataclass(frozen=True)
class PlannedLocalSource(_PlannedSource):
    """A local source as a plan reads it: listed, as a run lists it, but no file opened."""

    source: LocalSource

    def song_objects(self) -> list[SourceObject]:
        return self.source.song_objects()

    def song_listing(self) -> SongListing:
        return self.source.song_listing()

    def event_listing(self, window: Window) -> EventListing:
        return self.source.event_listing(window)

    @contextmanager
    def local_files(self, keys: list[str]) -> Iterator[list[Path]]:
        with self.source.local_files(keys) as paths:
            yield paths


@dataclass(frozen=True)
class PlannedS3Source(_PlannedSource):
    """An S3 source as a plan reads it: never listed nor read; comment lines say what a run will find."""

    source: S3Source
    recorder: RecordingEngine

    def object_url(self, key: str) -> str:
        return self.source.object_url(key)

    def _every_object(self, prefix: str, suffix: str) -> list[str]:
        self.recorder.note(
            f"{prefix}/: a run lists every *.{suffix} object under {self.object_url(prefix)}/ "
            f"and stages those the ledger (loaded_objects) has not seen as they are (all of them here: a plan "
            f"reads no ledger); '{prefix}/**/*.{suffix}' stands for them below."
        )
        return [f"{prefix}/<every .{suffix} object>"]

    def song_objects(self) -> list[SourceObject]:
        return [SourceObject(key, "") for key in self._every_object(SONG_PREFIX, "json")]

    def fetch_all(self, keys: Iterable[str]) -> Iterator[tuple[str, bytes, datetime | None]]:
        """Each object as :data:`PLANNED_SONG_FILE`: the plan shows the part, manifest and COPY a run sends."""
        for key in keys:
            self.recorder.note(
                f"{key}: a run reads each song file, screens it and writes the good ones into gzip parts."
            )
            yield key, PLANNED_SONG_FILE, None

    def write_url(self, url: str, body: bytes) -> None:
        if url.endswith(".manifest"):
            self.recorder.note(f"a run writes {url}: the COPY manifest listing exactly the objects to read.")
        else:
            self.recorder.note(
                f"a run writes {url}: a gzip part of the song records (as many parts as a multiple of the slices)."
            )

    def delete_url(self, url: str) -> None:
        self.recorder.note(f"a run deletes {url} once the COPY has read it.")

    def event_listing(self, window: Window) -> EventListing:
        if window.is_everything:
            return EventListing([SourceObject(key, "") for key in self._every_object(LOG_PREFIX, self.events_format)])
        self.recorder.note(
            f"{LOG_PREFIX}/: one file per day of the window; a run skips the days that have no file in S3."
        )
        return EventListing([SourceObject(event_file_key(day, self.events_format), "") for day in window.days()])

    @contextmanager
    def local_files(self, keys: list[str]) -> Iterator[list[Path]]:
        """Placeholder files (a CSV one holds the layout's header) where a run would download the objects."""
        self.recorder.note(f"{DOWNLOAD_FOLDER}: where a run downloads the objects for the engine to read.")
        with tempfile.TemporaryDirectory(prefix="sparkify-plan-") as folder:
            self.recorder.alias(folder, DOWNLOAD_FOLDER)
            paths = [Path(folder, key) for key in keys]
            for path in paths:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(",".join(EVENT_COLUMNS) + "\n" if path.suffix == ".csv" else "", encoding="utf-8")
            yield paths


def planned_source(uri: str, events_format: str, recorder: RecordingEngine) -> Source:
    """The source as a plan sees it: no S3 request, no object read; its block's credentials are not needed."""
    source = open_source(uri, events_format=events_format)
    if isinstance(source, S3Source):
        return PlannedS3Source(source, recorder)
    assert isinstance(source, LocalSource)
    return PlannedLocalSource(source)
