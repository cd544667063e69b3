"""The embedded default: a DuckDB file, so the pipeline runs on a laptop with no cloud account.

DuckDB reads the JSON files itself (``read_csv`` and the JSON functions are
built in; no extension is downloaded), which keeps staging close to the engine's
own speed. S3 objects reach it as local copies (``Source.local_files``). CSV
event logs are screened record by record in Python first, as on PostgreSQL.
"""

from __future__ import annotations

import fcntl
import gzip
import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

import sqlalchemy as sa

from sparkify import csv_logs, records
from sparkify.records import Rejection
from sparkify.sources import Source, SourceObject
from sparkify.warehouse.base import Capabilities, Warehouse, WarehouseUnreachable

logger = logging.getLogger(__name__)

#: The start of the name of the temporary folder the good records of CSV logs are written to.
SCREENED_CSV_PREFIX = "sparkify-csv-"


class DuckDBWarehouse(Warehouse):
    """Stages JSON by reading the source files with DuckDB itself; CSV logs once screened in Python."""

    #: One process writes a file at a time: runs take turns on it, so no table is ever locked; no indexes (the zone
    #: maps of rows inserted in time order prune the hourly statements' ranges); lists bind as one value.
    capabilities = Capabilities(one_writer=True, binds_lists=True)
    reach_hint = (
        "Only one process writes a DuckDB file at a time: another program (not a sparkify run, which waits its "
        "turn) may hold it, or the file or its folder is not writable."
    )

    @classmethod
    def from_url(cls, url: sa.URL, max_errors: int) -> Warehouse:
        if url.database in (None, "", ":memory:"):
            # every pooled connection would see its own empty database
            raise ValueError(
                "an in-memory DuckDB cannot be shared by the run's tasks: give a file, e.g. duckdb:///data/sparkify.duckdb"
            )
        try:
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise WarehouseUnreachable(
                f"cannot create the folder of the DuckDB file {url.database}: {error.strerror}"
            ) from None
        return super().from_url(url, max_errors)

    def ping(self) -> None:
        """Opens the file for writing (another process holding it fails here), and finds its folder writable: DuckDB
        writes its write-ahead log beside the file, and a run its lock file."""
        super().ping()
        database = Path(self.engine.url.database)
        for path in (database, database.parent):
            if path.exists() and not os.access(path, os.W_OK):
                raise WarehouseUnreachable(
                    f"cannot use the warehouse {self!r}: {path} is not writable. {self.reach_hint}"
                )

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """One run at a time per file, the others wait their turn.

        DuckDB lets a single process open a file for writing (a second one fails at
        once) and fails concurrent transactions that touch the same rows, so runs in
        flight together, as threads of a backfill or processes of a worker, queue on a
        lock file beside the database. The file is closed before the turn passes on;
        the kernel drops the lock of a run that dies.
        """
        path = Path(f"{self.engine.url.database}.lock")
        try:
            lock = path.open("a")
        except OSError as error:  # a folder nobody may write: said as such, never retried
            raise WarehouseUnreachable(
                f"cannot use the warehouse {self!r}: cannot create its lock file {path}: {error.strerror}. "
                f"{self.reach_hint}"
            ) from None
        with lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                self.engine.dispose()

    def stage_events(self, table: sa.Table, source: Source, keys: list[str], run_key: str = "") -> int:
        """One pass stages the good lines; only the files it found bad lines in are read again, for the report.

        Each file is judged first (``records.judge_files``): one rejected whole is not read, and gzip files are
        read decompressed, in a scan of their own (one scan reads one compression).
        """
        if not keys:
            return 0
        if source.events_format == "csv":
            return self._stage_csv_events(table, source, keys, run_key)
        names = {"staging_events": table.name}
        judged = records.judge_files(source, keys)
        readable = judged.readable
        with source.local_files(readable) as paths, self.engine.begin() as conn:
            path_of = dict(zip(readable, paths, strict=True))
            bounds = {"min_ts": records.MIN_TS, "max_ts": records.MAX_TS}
            scans = [
                {"files": [str(path_of[key]) for key in group], "compression": compression, **bounds}
                for group, compression in ((judged.plain, "none"), (judged.compressed, "gzip"))
                if group
            ]
            for path in ("staging/drop_event_line_errors", "staging/drop_event_line_scans"):
                conn.execute(self.statement(path))
            conn.execute(self.statement("staging/create_event_lines"))
            for scan in scans:
                conn.execute(self.statement("staging/stage_events", names), scan)
            unloadable = (
                len(conn.execute(self.statement("staging/delete_unloadable_events", names)).all()) if scans else 0
            )
            unreadable = conn.execute(self.statement("staging/unreadable_event_files")).scalars().all() if scans else []
            bad_files = set(unreadable)
            if unloadable:
                for scan in scans:
                    found = conn.execute(self.statement("staging/unloadable_event_files"), scan).scalars().all()
                    bad_files |= set(found)
            rejections = _reread(source, judged, paths, bad_files, records.parse_event, lines=True)
            _check_agreement("event lines", unloadable + len(unreadable), rejections, bad_files)
            self.replace_rejects(conn, run_key, "events", source, keys, [*judged.rejections, *rejections])
        return self.row_count(table.name)

    def stage_songs(self, table: sa.Table, source: Source, songs: list[SourceObject], run_key: str = "") -> int:
        if not songs:
            return 0
        keys = [song.key for song in songs]
        with source.local_files(keys) as paths, self.engine.begin() as conn:
            files = [str(path) for path in paths]
            conn.execute(self.statement("staging/create_song_files"), {"files": files})
            origins = {
                "files": files,
                "objects": [f"{source.uri}/{key}" for key in keys],
                "modified": [song.modified for song in songs],
            }
            conn.execute(self.statement("staging/stage_songs", {"staging_songs": table.name}), origins)
            bad_files = set(conn.execute(self.statement("staging/unloadable_song_files")).scalars().all())
            conn.execute(self.statement("staging/drop_song_files"))
            rejections = _reread(source, records.Files(keys), paths, bad_files, records.parse_song, lines=False)
            _check_agreement("song files", len(bad_files), rejections, bad_files)
            self.replace_rejects(conn, run_key, "songs", source, keys, rejections)
        return self.row_count(table.name)

    def _stage_csv_events(self, table: sa.Table, source: Source, keys: list[str], run_key: str) -> int:
        """DuckDB reads the good records (``sparkify.records``' screening) from one file of their own."""
        with tempfile.TemporaryDirectory(prefix=SCREENED_CSV_PREFIX) as folder, self.engine.begin() as conn:
            good = Path(folder, "events.csv")
            with good.open("wb") as file:
                rejections = csv_logs.screen_csv_logs(source, keys, file.write)
            stage = self.statement("staging/stage_events_csv", {"staging_events": table.name})
            conn.execute(stage, {"file": str(good)})
            self.replace_rejects(conn, run_key, "events", source, keys, rejections)
        return self.row_count(table.name)


def _reread(
    source: Source,
    files: records.Files,
    paths: list[Path],
    bad_files: set[str],
    parse: Callable[[bytes], dict[str, Any] | str],
    *,
    lines: bool,
) -> list[Rejection]:
    """The bad records of ``bad_files`` (the local copies of ``files.readable``), with line numbers and reasons.

    By ``sparkify.records``' own rules, each file read as its judgement says (gzip decompressed).
    """
    rejections = []
    for key, path in zip(files.readable, paths, strict=True):
        if str(path) not in bad_files:
            continue
        with path.open("rb") as raw, _decompressed(raw, key in files.gzipped) as stream:
            numbered = records.lines(stream) if lines else [(1, stream.read())]
            for number, raw in numbered:
                reason = parse(raw)
                if isinstance(reason, str):
                    rejections.append(Rejection.of(f"{source.uri}/{key}", number, reason, raw))
    return rejections


@contextmanager
def _decompressed(stream: BinaryIO, gzipped: bool) -> Iterator[BinaryIO]:
    if not gzipped:
        yield stream
        return
    with gzip.GzipFile(fileobj=stream, mode="rb") as unzipped:
        yield unzipped  # type: ignore[misc]


def _check_agreement(what: str, found: int, rejections: list[Rejection], bad_files: set[str]) -> None:
    """DuckDB's SQL and ``sparkify.records`` state the same rules; a difference is worth a warning, not a failure."""
    if bad_files and found != len(rejections):
        logger.warning(
            "DuckDB found %d bad %s but sparkify.records %d in %s: its rules and the SQL's differ here",
            found,
            what,
            len(rejections),
            ", ".join(sorted(bad_files)),
        )
