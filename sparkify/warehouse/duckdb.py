"""The embedded default: a DuckDB file, so the pipeline runs on a laptop with no cloud account.

DuckDB reads the JSON and CSV files itself (``read_json`` and ``read_csv`` are
built in; no extension is downloaded), which keeps staging close to the engine's
own speed. S3 objects reach it as local copies (``Source.local_files``).
"""

from __future__ import annotations

import csv
import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from sparkify.sources import EVENT_COLUMNS, Source, SourceError
from sparkify.warehouse.base import Warehouse

#: The statement that stages each event log format.
_STAGE_EVENTS = {"json": "staging/stage_events", "csv": "staging/stage_events_csv"}


class DuckDBWarehouse(Warehouse):
    """Stages by reading the source files with DuckDB's JSON and CSV readers."""

    @classmethod
    def from_url(cls, url: sa.URL) -> Warehouse:
        if url.database in (None, "", ":memory:"):
            # every pooled connection would see its own empty database
            raise ValueError(
                "an in-memory DuckDB cannot be shared by the run's tasks: give a file, e.g. duckdb:///data/sparkify.duckdb"
            )
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        return super().from_url(url)

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """One run at a time per file, the others wait their turn.

        DuckDB lets a single process open a file for writing (a second one fails at
        once) and fails concurrent transactions that touch the same rows, so runs in
        flight together, as threads of a backfill or processes of a worker, queue on a
        lock file beside the database. The file is closed before the turn passes on;
        the kernel drops the lock of a run that dies.
        """
        with Path(f"{self.engine.url.database}.lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                self.engine.dispose()

    def _stage(self, statement: str, placeholder: str, table: sa.Table, source: Source, keys: list[str]) -> int:
        if not keys:
            return 0
        with source.local_files(keys) as paths, self.engine.begin() as conn:
            if statement == _STAGE_EVENTS["csv"]:
                _check_csv_headers(source, keys, paths)
            conn.execute(
                self.statement(statement, {placeholder: table.name}),
                {"files": [str(path) for path in paths]},
            )
        return self.row_count(table.name)

    def stage_events(self, table: sa.Table, source: Source, keys: list[str]) -> int:
        return self._stage(_STAGE_EVENTS[source.events_format], "staging_events", table, source, keys)

    def stage_songs(self, table: sa.Table, source: Source, keys: list[str]) -> int:
        return self._stage("staging/stage_songs", "staging_songs", table, source, keys)


def _check_csv_headers(source: Source, keys: list[str], paths: list[Path]) -> None:
    """read_csv maps columns by position and skips the header unread: a reordered file must fail, not load."""
    for key, path in zip(keys, paths, strict=True):
        with path.open(encoding="utf-8", newline="") as file:
            header = next(csv.reader(file), [])
        if tuple(header) != EVENT_COLUMNS:
            raise SourceError(
                f"{source.uri}/{key}: CSV header {','.join(header)!r} "
                f"is not the event log's {','.join(EVENT_COLUMNS)!r}"
            )
