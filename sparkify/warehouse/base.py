"""The small interface every warehouse engine offers the tasks.

The transformation SQL is shared; an engine differs only in how it stages the
raw files and in its table options, so that is all a subclass provides.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import CreateTable, DropTable, ExecutableDDLElement
from sqlalchemy.sql.compiler import DDLCompiler

from sparkify import schema, sql
from sparkify.ledger import Loaded
from sparkify.records import Rejection
from sparkify.sources import Source
from sparkify.window import Window

if TYPE_CHECKING:
    from sparkify.blocks import WarehouseConnection


class Warehouse(ABC):
    """A SQLAlchemy engine plus the engine-specific staging the pipeline needs."""

    #: Whether concurrent runs need explicit table locks to take turns (see ``sql/<engine>/load/*/00_lock_*``).
    takes_table_locks = False

    def __init__(self, engine: Engine, max_errors: int) -> None:
        self.engine = engine
        #: Bad records a feed may have before the run fails (``sparkify.warehouse.error_budget``).
        self.max_errors = max_errors

    @classmethod
    def from_url(cls, url: sa.URL, max_errors: int) -> Warehouse:
        return cls(sa.create_engine(url), max_errors)

    @classmethod
    def from_connection(cls, connection: WarehouseConnection, max_errors: int) -> Warehouse:
        """The warehouse a Prefect block describes; an engine that needs more than the URL overrides it."""
        return cls.from_url(connection.url(), max_errors)

    @property
    def dialect(self) -> Dialect:
        return self.engine.dialect

    def __repr__(self) -> str:
        # never the password: URLs render it masked
        return f"{type(self).__name__}({self.engine.url!r})"

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Held for the whole of a run. Nothing to hold here; an engine that admits one writer at a time waits."""
        yield

    def secrets(self) -> tuple[str, ...]:
        """Values a plan must mask: the login password, and whatever else an engine holds."""
        password = self.engine.url.password
        return (password,) if password else ()

    # -- statements ---------------------------------------------------------
    def statement(
        self,
        path: str,
        identifiers: Mapping[str, str] | None = None,
        expanding: Sequence[str] = (),
    ) -> sa.TextClause:
        """The SQL file as an executable statement, tables filled in, values left as binds."""
        text = sa.text(sql.render(path, self.dialect, identifiers))
        return text.bindparams(*(sa.bindparam(name, expanding=True) for name in expanding))

    def run_script(
        self,
        folder: str,
        identifiers: Mapping[str, str],
        params: Mapping[str, Any],
        then: Callable[[sa.Connection], None] | None = None,
    ) -> list[int]:
        """Runs every statement of ``sql/<folder>/`` in one transaction; returns their row counts.

        ``then`` runs last in the same transaction: what records the load commits with it, or not at all.
        """
        with self.engine.begin() as conn:
            counts = [
                conn.execute(self.statement(path, identifiers), dict(params)).rowcount
                for path in sql.script(folder, self.dialect.name)
            ]
            if then is not None:
                then(conn)
            return counts

    def scalar(
        self,
        path: str,
        identifiers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        expanding: Sequence[str] = (),
    ) -> Any:
        """The single value a query file returns."""
        with self.engine.connect() as conn:
            return conn.execute(self.statement(path, identifiers, expanding), dict(params or {})).scalar_one()

    def row_count(self, table: str) -> int:
        return int(self.scalar("checks/row_count", {"table": table}))

    # -- tables -------------------------------------------------------------
    def create_tables(self) -> None:
        """Creates the star schema and its bookkeeping where missing, then (re)creates the marts.

        Existing tables and rows are kept; a table created before a column was declared gains it
        (NULL in its old rows). The marts' views are replaced on every run, so they follow the tables.
        """
        tables = (*schema.STAR_SCHEMA, *schema.BOOKKEEPING)
        with self.engine.begin() as conn:
            # concurrent runs on a server engine take turns here (sql/<engine>/schema/, where one is needed)
            for path in sql.script("schema", self.dialect.name, missing_ok=True):
                conn.execute(self.statement(path))
            for table in tables:
                conn.execute(CreateTable(table, if_not_exists=True))
            for table, column in self._undeclared_columns(conn, tables):
                conn.execute(AddColumn(table, column))
            for path in sql.script("marts", self.dialect.name):
                conn.execute(self.statement(path))

    def _undeclared_columns(self, conn: sa.Connection, tables: Sequence[sa.Table]) -> list[tuple[sa.Table, sa.Column]]:
        """The declared columns each existing table lacks; a listing that finds nothing (a plan's) adds nothing."""
        existing: dict[str, set[str]] = {}
        for table_name, column_name in conn.execute(self.statement("catalog/table_columns")).all():
            existing.setdefault(table_name, set()).add(column_name)
        return [
            (table, column)
            for table in tables
            if table.name in existing
            for column in table.columns
            if column.name not in existing[table.name]
        ]

    def create_staging(self, table: sa.Table) -> None:
        """A fresh, empty staging table for this run."""
        with self.engine.begin() as conn:
            conn.execute(DropTable(table, if_exists=True))
            conn.execute(CreateTable(table))

    def drop_staging(self, table: sa.Table) -> None:
        with self.engine.begin() as conn:
            conn.execute(DropTable(table, if_exists=True))

    def staging_tables(self) -> list[str]:
        """Every staging table in the schema, whichever run made it: what finds a crashed run's leftovers."""
        with self.engine.connect() as conn:
            return list(conn.execute(self.statement("catalog/staging_tables"), {"pattern": "staging%"}).scalars().all())

    # -- rejected records ------------------------------------------------------
    def replace_rejects(
        self,
        conn: sa.Connection,
        run_key: str,
        feed: str,
        source: Source,
        keys: list[str],
        rejections: list[Rejection],
    ) -> None:
        """The bad records of the objects ``keys`` names become ``rejections``: a re-run replaces, never adds."""
        # a run has created it already; staging called on its own (tests, benchmarks) needs it too
        conn.execute(CreateTable(schema.rejected_records, if_not_exists=True))
        self.delete_rejects(conn, feed, [f"{source.uri}/{key}" for key in keys])
        if rejections:
            now = datetime.now(UTC).replace(tzinfo=None)
            conn.execute(self.statement("rejects/insert"), [r.row(run_key, feed, now) for r in rejections])

    def delete_rejects(self, conn: sa.Connection, feed: str, objects: list[str]) -> None:
        """Clears the rejects of ``objects`` (as the source names them), a thousand per statement."""
        delete = self.statement("rejects/delete_objects", expanding=["objects"])
        for start in range(0, len(objects), 1000):
            conn.execute(delete, {"feed": feed, "objects": objects[start : start + 1000]})

    # -- the ledger of loaded objects -------------------------------------------
    def loaded(self, feed: str, uri: str) -> list[Loaded]:
        """What the ledger holds for ``feed``'s objects of the source at ``uri``."""
        prefix = f"{uri}/"
        windows: dict[tuple[datetime, datetime], Window] = {}  # a catalog's 100,000 rows share one
        with self.engine.connect() as conn:
            result = conn.execute(self.statement("ledger/loaded_objects"), {"feed": feed, "pattern": f"{prefix}%"})
            return [
                Loaded(
                    name, identity, windows.get((start, end)) or windows.setdefault((start, end), Window(start, end))
                )
                for name, identity, start, end in result.all()
                if name.startswith(prefix)
            ]

    def loaded_identity(self, feed: str, source_object: str) -> str | None:
        """The identity the ledger last recorded for one object (of any window), if any."""
        with self.engine.connect() as conn:
            params = {"feed": feed, "source_object": source_object}
            return conn.execute(self.statement("ledger/loaded_identity"), params).scalar()

    def record_loaded(
        self,
        conn: sa.Connection,
        run_key: str,
        feed: str,
        loads: list[tuple[str, str, Window]],
        identifiers: Mapping[str, str],
    ) -> None:
        """Each ``(object, identity, window)`` loaded by this run replaces the object's row for that window.

        The rows staged and rejected per object are then counted in the warehouse, from the run's staging
        table (``identifiers``) and ``rejected_records``.
        """
        if self.takes_table_locks:
            conn.execute(self.statement("ledger/lock_loaded_objects"))
        delete = self.statement("ledger/delete_objects", expanding=["objects"])
        by_window: dict[Window, list[str]] = defaultdict(list)
        for name, _, window in loads:
            by_window[window].append(name)
        for window, names in by_window.items():
            for start in range(0, len(names), 1000):
                conn.execute(delete, {"feed": feed, "objects": names[start : start + 1000], **window.params()})
        if not loads:
            return
        now = datetime.now(UTC).replace(tzinfo=None)
        identities = {name: identity for name, identity, _ in loads}
        for window, names in by_window.items():
            self.insert_loaded(conn, feed, run_key, now, window, [(name, identities[name]) for name in names])
        for path in ("ledger/count_rejected", f"ledger/count_staged_{feed}"):
            conn.execute(self.statement(path, identifiers), {"run_key": run_key, "feed": feed})

    def insert_loaded(
        self,
        conn: sa.Connection,
        feed: str,
        run_key: str,
        now: datetime,
        window: Window,
        objects: list[tuple[str, str]],
    ) -> None:
        """The ledger's new rows for one window, ``(object, identity)`` each; an engine with a bulk path overrides."""
        rows = [
            {"feed": feed, "source_object": name, "identity": identity, "run_key": run_key, "loaded_at": now}
            | window.params()
            for name, identity in objects
        ]
        conn.execute(self.statement("ledger/insert"), rows)

    def rejected(self, run_key: str, feed: str) -> int:
        """The records of ``feed`` that run ``run_key`` rejected, files rejected whole not counted."""
        return int(self.scalar("rejects/count", params={"run_key": run_key, "feed": feed}))

    def rejected_files(self, run_key: str, feed: str) -> int:
        """The files of ``feed`` that run ``run_key`` rejected whole (``records.judge_file``)."""
        return int(self.scalar("rejects/count_files", params={"run_key": run_key, "feed": feed}))

    # -- staging: the one thing each engine does its own way ------------------
    def stage_event_files(self, table: sa.Table, source: Source, window: Window, run_key: str = "") -> int:
        """Stages the event files ``window`` needs; an engine that loads a whole folder at once overrides it."""
        return self.stage_events(table, source, source.event_keys(window), run_key)

    def stage_song_files(
        self, table: sa.Table, source: Source, run_key: str = "", keys: list[str] | None = None
    ) -> int:
        """Stages the song files ``keys`` (those the ledger has not seen as they are), or the whole catalog."""
        return self.stage_songs(table, source, source.song_keys() if keys is None else keys, run_key)

    @abstractmethod
    def stage_events(self, table: sa.Table, source: Source, keys: list[str], run_key: str = "") -> int:
        """Loads the good records of event files ``keys`` into ``table``, the bad into ``rejected_records``.

        Returns the rows staged; ``run_key`` marks the rejects as this run's.
        """

    @abstractmethod
    def stage_songs(self, table: sa.Table, source: Source, keys: list[str], run_key: str = "") -> int:
        """Loads the good song files ``keys`` into ``table``, the bad into ``rejected_records``; returns rows staged."""


class AddColumn(ExecutableDDLElement):
    """``ALTER TABLE … ADD COLUMN`` of one declared column: one column a statement, all Redshift accepts."""

    def __init__(self, table: sa.Table, column: sa.Column) -> None:
        self.table = table
        self.column = column


@compiles(AddColumn)
def _compile_add_column(element: AddColumn, compiler: DDLCompiler, **kw: Any) -> str:
    table = compiler.preparer.format_table(element.table)
    return f"ALTER TABLE {table} ADD COLUMN {compiler.get_column_specification(element.column)}"
