"""The embedded default: a DuckDB file, so the pipeline runs on a laptop with no cloud account.

DuckDB reads the JSON files itself (``read_json`` is built in; no extension is
downloaded), which keeps staging close to the engine's own speed.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from sparkify.sources import Source
from sparkify.warehouse.base import Warehouse


class DuckDBWarehouse(Warehouse):
    """Stages by reading the source files with DuckDB's JSON reader."""

    @classmethod
    def from_url(cls, url: sa.URL) -> Warehouse:
        if url.database in (None, "", ":memory:"):
            # every pooled connection would see its own empty database
            raise ValueError(
                "an in-memory DuckDB cannot be shared by the run's tasks: give a file, e.g. duckdb:///data/sparkify.duckdb"
            )
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        return super().from_url(url)

    def _stage(self, statement: str, placeholder: str, table: sa.Table, source: Source, keys: list[str]) -> int:
        if not keys:
            return 0
        with source.local_files(keys) as paths, self.engine.begin() as conn:
            conn.execute(
                self.statement(statement, {placeholder: table.name}),
                {"files": [str(path) for path in paths]},
            )
        return self.row_count(table.name)

    def stage_events(self, table: sa.Table, source: Source, keys: list[str]) -> int:
        return self._stage("staging/stage_events", "staging_events", table, source, keys)

    def stage_songs(self, table: sa.Table, source: Source, keys: list[str]) -> int:
        return self._stage("staging/stage_songs", "staging_songs", table, source, keys)
