"""The small interface every warehouse engine offers the tasks.

The transformation SQL is shared; an engine differs in how it stages the raw files
and in what it can do, declared once in its :class:`Capabilities` (as dlt's
destinations declare theirs): whether concurrent runs take turns on table locks or
on the whole file, whether it has indexes, whether it binds a list as one value.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import CreateIndex, CreateTable, DropTable, ExecutableDDLElement
from sqlalchemy.sql.compiler import DDLCompiler

from sparkify import schema, sql
from sparkify.errors import PipelineError
from sparkify.ledger import Loaded
from sparkify.records import Rejection
from sparkify.sources import Source, SourceObject
from sparkify.window import Window

if TYPE_CHECKING:
    from sparkify.blocks import WarehouseConnection

#: Rows a multi-row statement carries at most: far below any engine's limit on parameters or statement size.
ROWS_PER_STATEMENT = 1000
#: The ledger column's name before it was renamed: IDENTITY is reserved on Redshift.
_OLD_IDENTITY_COLUMN = "identity"


@dataclass(frozen=True)
class Capabilities:
    """What sets an engine apart: everything the shared code asks of an engine, in one place."""

    #: Concurrent runs take turns on table locks (``sql/<engine>/locks/lock_tables.sql``), in ``schema.LOCK_ORDER``.
    locks_tables: bool = False
    #: One process writes a database at a time: runs take turns on the whole warehouse (:meth:`Warehouse.exclusive`).
    one_writer: bool = False
    #: Has the indexes of ``schema.INDEXES``, and plans by statistics a run refreshes (ANALYZE) on the tables it fills.
    indexes: bool = False
    #: Binds a Python list as one value (``UNNEST(CAST(:objects AS VARCHAR[]))``): the ledger in one statement.
    binds_lists: bool = False


class WarehouseUnreachable(PipelineError):
    """The warehouse does not answer, refuses the login, or is held by another process: nothing was done."""


class MartChangedError(PipelineError):
    """A mart's new definition cannot replace the view in place, and views built on it keep it from being dropped."""


class Warehouse(ABC):
    """A SQLAlchemy engine plus the engine-specific staging the pipeline needs."""

    capabilities = Capabilities()

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

    def ping(self) -> None:
        """Connects and asks one question: a wrong address, login or a file another process holds fails here."""
        try:
            with self.engine.connect() as conn:
                conn.execute(self.statement("catalog/ping")).scalar_one()
        except sa.exc.DBAPIError as error:
            reason = str(error.orig).strip().splitlines()[0] if error.orig is not None else str(error)
            raise WarehouseUnreachable(f"cannot use the warehouse {self!r}: {reason}. {self.reach_hint}") from None

    #: What to check when the warehouse cannot be reached.
    reach_hint = "Check its address, user and password (the WarehouseConnection block, or SPARKIFY_WAREHOUSE_*)."

    # -- statements ---------------------------------------------------------
    def statement(
        self,
        path: str,
        identifiers: sql.Identifiers | None = None,
        expanding: Sequence[str] = (),
    ) -> sa.TextClause:
        """The SQL file as an executable statement, tables filled in, values left as binds; it carries its file's
        path (execution option ``sql_path``) for whoever records or traces it."""
        text = sa.text(sql.render(path, self.dialect, identifiers)).execution_options(sql_path=path)
        return text.bindparams(*(sa.bindparam(name, expanding=True) for name in expanding))

    @contextmanager
    def transaction(self, touching: Iterable[str] = ()) -> Iterator[sa.Connection]:
        """One transaction; on an engine that locks, its first statement locks the shared tables it will touch.

        ``touching`` names every table the transaction's statements read or write (:meth:`tables_of` derives
        them from the statements); the shared ones among them are locked in ``schema.LOCK_ORDER``.
        """
        with self.engine.begin() as conn:
            self._lock(conn, touching)
            yield conn

    def _lock(self, conn: sa.Connection, touching: Iterable[str]) -> None:
        """On an engine that locks, one LOCK of the shared tables among ``touching``, in ``schema.LOCK_ORDER``."""
        shared = set(touching)
        tables = [name for name in schema.LOCK_ORDER if name in shared]
        if tables and self.capabilities.locks_tables:
            conn.execute(self.statement("locks/lock_tables", {"tables": tables}))

    def tables_of(self, statements: Iterable[tuple[str, sql.Identifiers]]) -> set[str]:
        """The tables these statements (SQL file and its identifiers) read or write, as this engine's SQL says."""
        return sql.tables_of(statements, self.dialect)

    def run_script(
        self,
        conn: sa.Connection,
        folder: str,
        identifiers: sql.Identifiers,
        params: Mapping[str, Any],
    ) -> dict[str, int]:
        """Runs every statement of ``sql/<folder>/`` in file order on ``conn``; returns their row counts by name."""
        return {
            path.rsplit("/", 1)[-1]: conn.execute(self.statement(path, identifiers), dict(params)).rowcount
            for path in self.script(folder)
        }

    def script(self, folder: str) -> list[str]:
        """The statement paths of ``sql/<folder>/`` for this engine, in the order they run."""
        return sql.script(folder, self.dialect.name)

    def scalar(
        self,
        path: str,
        identifiers: sql.Identifiers | None = None,
        params: Mapping[str, Any] | None = None,
        expanding: Sequence[str] = (),
        conn: sa.Connection | None = None,
    ) -> Any:
        """The single value a query file returns, on ``conn`` or a connection of its own."""
        statement = self.statement(path, identifiers, expanding)
        if conn is not None:
            return conn.execute(statement, dict(params or {})).scalar_one()
        with self.engine.connect() as own:
            return own.execute(statement, dict(params or {})).scalar_one()

    def row_count(self, table: str) -> int:
        return int(self.scalar("checks/table/row_count", {"table": table}))

    def insert_rows(self, conn: sa.Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
        """Rows into ``table`` as multi-row INSERTs, a thousand a statement: set-based on every engine."""
        for start in range(0, len(rows), ROWS_PER_STATEMENT):
            conn.execute(sa.insert(table).values(list(rows[start : start + ROWS_PER_STATEMENT])))

    def analyze(self, conn: sa.Connection, table: sa.Table) -> None:
        """Statistics for a table a run has just filled, so that the planner fits its joins to its real size."""
        if self.capabilities.indexes:
            conn.execute(self.statement("catalog/analyze", {"table": table.name}))

    # -- tables -------------------------------------------------------------
    def create_tables(self) -> None:
        """Creates the star schema and its bookkeeping where missing, then the marts whose definition changed.

        Existing tables and rows are kept; a table created before a column was declared gains it (NULL in its old
        rows), and the ledger's column named ``identity`` before it was renamed is renamed in place. The tables
        to alter are locked first (in ``schema.LOCK_ORDER``, as every transaction that writes them), and their
        columns read again under the lock: a run that altered them meanwhile leaves nothing to do. A warehouse
        whose tables are all there as declared gets no DDL at all.
        """
        tables = (*schema.STAR_SCHEMA, *schema.BOOKKEEPING)
        with self.engine.connect() as conn:
            existing = self._existing_columns(conn)
        missing = [table for table in tables if table.name not in existing]
        altered = [table.name for table in tables if table.name in existing and _outdated(table, existing[table.name])]
        if missing or altered or self.capabilities.indexes:
            with self._schema_transaction(altered) as conn:
                for table in missing:
                    conn.execute(CreateTable(table, if_not_exists=True))
                if altered:
                    self._alter_tables(conn, tables, self._existing_columns(conn))
                if self.capabilities.indexes:
                    present = set(conn.execute(self.statement("catalog/indexes")).scalars().all())
                    for index in schema.INDEXES:
                        if index.name not in present:
                            conn.execute(CreateIndex(index, if_not_exists=True))
        self._create_marts()

    @staticmethod
    def _alter_tables(conn: sa.Connection, tables: Iterable[sa.Table], existing: dict[str, set[str]]) -> None:
        """The ledger's old column renamed, then each declared column a table lacks added, one per statement."""
        ledger = existing.get(schema.loaded_objects.name, set())
        if _OLD_IDENTITY_COLUMN in ledger and "object_identity" not in ledger:
            conn.execute(RenameColumn(schema.loaded_objects, _OLD_IDENTITY_COLUMN, "object_identity"))
            ledger.add("object_identity")
        for table in tables:
            for column in table.columns:
                if table.name in existing and column.name not in existing[table.name]:
                    conn.execute(AddColumn(table, column))

    def _existing_columns(self, conn: sa.Connection) -> dict[str, set[str]]:
        """The columns of each table in the warehouse's schema; a listing that finds nothing (a plan's) finds none."""
        existing: dict[str, set[str]] = {}
        for table_name, column_name in conn.execute(self.statement("catalog/table_columns")).all():
            existing.setdefault(table_name, set()).add(column_name)
        return existing

    def _create_marts(self) -> None:
        """Each mart view whose file changed since it was created (or that is missing) is created or replaced.

        Replaced in place, so an analyst's view on it and the grants on it stay; never dropped with CASCADE. A new
        definition that changes the view's columns (which no engine replaces in place) drops the view alone and
        creates it again, and stops with what to do when views built on it prevent that.
        """
        with self.engine.connect() as conn:
            created = dict(conn.execute(self.statement("catalog/mart_definitions")).all())
            views = set(conn.execute(self.statement("catalog/views")).scalars().all())
        for path in sql.script("marts", self.dialect.name):
            name = path.rsplit("/", 1)[-1]
            digest = hashlib.sha256(sql.read(path, self.dialect.name).encode()).hexdigest()
            if created.get(name) == digest and name in views:
                continue
            try:
                with self._schema_transaction([schema.mart_definitions.name]) as conn:
                    conn.execute(self.statement(path))
                    self._record_mart(conn, name, digest)
            except sa.exc.DBAPIError as replaced_in_place:
                self._recreate_mart(path, name, digest, replaced_in_place)

    @contextmanager
    def _schema_transaction(self, touching: Iterable[str] = ()) -> Iterator[sa.Connection]:
        """A transaction that changes the schema: runs on a server engine take turns (``sql/<engine>/schema/``), and
        the shared tables it writes (``touching``) are locked as every other transaction locks them."""
        with self.engine.begin() as conn:
            for path in sql.script("schema", self.dialect.name, missing_ok=True):
                conn.execute(self.statement(path))
            self._lock(conn, touching)
            yield conn

    def _recreate_mart(self, path: str, name: str, digest: str, error: sa.exc.DBAPIError) -> None:
        try:
            with self._schema_transaction([schema.mart_definitions.name]) as conn:
                conn.execute(self.statement("catalog/drop_view", {"view": name}))
                conn.execute(self.statement(path))
                self._record_mart(conn, name, digest)
        except sa.exc.DBAPIError as dropped:
            reason = str(dropped.orig).strip().splitlines()[0]
            raise MartChangedError(
                f"the mart {name} changed its columns ({str(error.orig).strip().splitlines()[0]}), and it cannot "
                f"be dropped and created again ({reason}): views built on it depend on it. Drop or adjust those "
                f"views (they are not dropped for you), then run again; sql/marts/{name}.sql has the new definition."
            ) from None

    def _record_mart(self, conn: sa.Connection, name: str, digest: str) -> None:
        conn.execute(self.statement("catalog/forget_mart"), {"view_name": name})
        self.insert_rows(
            conn,
            schema.mart_definitions,
            [{"view_name": name, "definition_sha256": digest, "created_at": _utc_now()}],
        )

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
            now = _utc_now()
            self.insert_rows(conn, schema.rejected_records, [r.row(run_key, feed, now) for r in rejections])

    def delete_rejects(self, conn: sa.Connection, feed: str, objects: list[str]) -> None:
        """Clears the rejects of ``objects`` (as the source names them), a thousand per statement."""
        delete = self.statement("rejects/delete_objects", expanding=["objects"])
        for start in range(0, len(objects), ROWS_PER_STATEMENT):
            conn.execute(delete, {"feed": feed, "objects": objects[start : start + ROWS_PER_STATEMENT]})

    def rejected(self, run_key: str, feed: str) -> int:
        """The records of ``feed`` that run ``run_key`` rejected, files rejected whole not counted."""
        return int(self.scalar("rejects/count", params={"run_key": run_key, "feed": feed}))

    def rejected_files(self, run_key: str, feed: str) -> int:
        """The files of ``feed`` that run ``run_key`` rejected whole (``records.judge_file``)."""
        return int(self.scalar("rejects/count_files", params={"run_key": run_key, "feed": feed}))

    # -- the ledger of loaded objects -------------------------------------------
    def loaded(self, feed: str, uri: str, objects: Sequence[str] | None = None) -> list[Loaded]:
        """What the ledger holds for ``feed``'s objects of the source at ``uri``: the ``objects`` named, or all."""
        prefix = f"{uri}/"
        windows: dict[tuple[datetime, datetime], Window] = {}  # a catalog's 100,000 rows share one
        with self.engine.connect() as conn:
            if objects is None:
                found = conn.execute(self.statement("ledger/loaded_objects"), {"feed": feed, "pattern": f"{prefix}%"})
                rows = found.all()
            else:
                listed = self.statement("ledger/loaded_listed", expanding=["objects"])
                rows = [
                    row
                    for start in range(0, len(objects), ROWS_PER_STATEMENT)
                    for row in conn.execute(
                        listed, {"feed": feed, "objects": list(objects[start : start + ROWS_PER_STATEMENT])}
                    ).all()
                ]
        return [
            Loaded(name, identity, windows.get((start, end)) or windows.setdefault((start, end), Window(start, end)))
            for name, identity, start, end in rows
            if name.startswith(prefix)
        ]

    def loaded_identity(self, feed: str, source_object: str) -> str | None:
        """The identity the ledger last recorded for one object (of any window), if any."""
        with self.engine.connect() as conn:
            params = {"feed": feed, "source_object": source_object}
            return conn.execute(self.statement("ledger/loaded_identity"), params).scalar()

    def ledger_statements(self, feed: str, identifiers: sql.Identifiers) -> list[tuple[str, sql.Identifiers]]:
        """The statements :meth:`record_loaded` runs: what a transaction that records objects touches."""
        inserts = [("ledger/insert_listed", {})] if self.capabilities.binds_lists else []
        counts = [("ledger/count_rejected", {}), (f"ledger/count_staged_{feed}", identifiers)]
        return [("ledger/delete_objects", {}), *inserts, *counts]

    def record_loaded(
        self,
        conn: sa.Connection,
        run_key: str,
        feed: str,
        loads: list[tuple[str, str, Window]],
        identifiers: sql.Identifiers,
    ) -> None:
        """Each ``(object, identity, window)`` loaded by this run replaces the object's row for that window.

        The rows staged and rejected per object are then counted in the warehouse, from the run's staging
        table (``identifiers``) and ``rejected_records``. The caller's transaction has locked the ledger.
        """
        delete = self.statement("ledger/delete_objects", expanding=["objects"])
        by_window: dict[Window, list[str]] = defaultdict(list)
        for name, _, window in loads:
            by_window[window].append(name)
        for window, names in by_window.items():
            for start in range(0, len(names), ROWS_PER_STATEMENT):
                batch = names[start : start + ROWS_PER_STATEMENT]
                conn.execute(delete, {"feed": feed, "objects": batch, **window.params()})
        if not loads:
            return
        now = _utc_now()
        identities = {name: identity for name, identity, _ in loads}
        for window, names in by_window.items():
            self._insert_loaded(conn, feed, run_key, now, window, [(name, identities[name]) for name in names])
        for path in ("ledger/count_rejected", f"ledger/count_staged_{feed}"):
            conn.execute(self.statement(path, identifiers), {"run_key": run_key, "feed": feed})

    def _insert_loaded(
        self,
        conn: sa.Connection,
        feed: str,
        run_key: str,
        now: datetime,
        window: Window,
        objects: list[tuple[str, str]],
    ) -> None:
        """The ledger's new rows for one window: one statement from two lists, or multi-row INSERTs."""
        if self.capabilities.binds_lists:
            params = {"feed": feed, "run_key": run_key, "loaded_at": now, **window.params()}
            lists = {"objects": [name for name, _ in objects], "identities": [identity for _, identity in objects]}
            conn.execute(self.statement("ledger/insert_listed"), params | lists)
            return
        rows = [
            {
                "feed": feed,
                "source_object": name,
                "object_identity": identity,
                "rows_staged": 0,
                "rows_rejected": 0,
                "run_key": run_key,
                "loaded_at": now,
                **window.params(),
            }
            for name, identity in objects
        ]
        self.insert_rows(conn, schema.loaded_objects, rows)

    # -- staging: the one thing each engine does its own way ------------------
    def stage_event_files(self, table: sa.Table, source: Source, window: Window, run_key: str = "") -> int:
        """Stages the event files ``window`` needs; an engine that loads a whole folder at once overrides it."""
        return self.stage_events(table, source, source.event_keys(window), run_key)

    @abstractmethod
    def stage_events(self, table: sa.Table, source: Source, keys: list[str], run_key: str = "") -> int:
        """Loads the good records of event files ``keys`` into ``table``, the bad into ``rejected_records``.

        Returns the rows staged; ``run_key`` marks the rejects as this run's.
        """

    @abstractmethod
    def stage_songs(self, table: sa.Table, source: Source, songs: list[SourceObject], run_key: str = "") -> int:
        """Loads the good song files ``songs`` into ``table`` (each row naming its file and the file's time), the
        bad into ``rejected_records``; returns the rows staged."""


def _outdated(table: sa.Table, columns: set[str]) -> bool:
    """Whether a table as it exists (its ``columns``) lacks a declared column (the old ledger lacks object_identity)."""
    return any(column.name not in columns for column in table.columns)


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class AddColumn(ExecutableDDLElement):
    """``ALTER TABLE … ADD COLUMN`` of one declared column: one column a statement, all Redshift accepts."""

    def __init__(self, table: sa.Table, column: sa.Column) -> None:
        self.table = table
        self.column = column


@compiles(AddColumn)
def _compile_add_column(element: AddColumn, compiler: DDLCompiler, **kw: Any) -> str:
    table = compiler.preparer.format_table(element.table)
    return f"ALTER TABLE {table} ADD COLUMN {compiler.get_column_specification(element.column)}"


class RenameColumn(ExecutableDDLElement):
    """``ALTER TABLE … RENAME COLUMN``, both names quoted by the dialect (the old one may be a reserved word)."""

    def __init__(self, table: sa.Table, old: str, new: str) -> None:
        self.table = table
        self.old = old
        self.new = new


@compiles(RenameColumn)
def _compile_rename_column(element: RenameColumn, compiler: DDLCompiler, **kw: Any) -> str:
    quote = compiler.preparer.quote
    table = compiler.preparer.format_table(element.table)
    return f"ALTER TABLE {table} RENAME COLUMN {quote(element.old)} TO {quote(element.new)}"
