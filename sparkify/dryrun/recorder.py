"""The plan's stand-in for a warehouse's engine: it compiles each statement with the real dialect and keeps it.

Statements are recorded as the driver would receive them and with their values inlined (on Redshift, as
redshift_connector sends them, each bound value in a comment), secrets masked; each is answered as a run whose
checks pass would be, by its SQL file's path, or read for real from the warehouse when the plan is to show what a
run would do to it (``WAREHOUSE_READS``).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from redshift_connector.core import convert_paramstyle
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.types import UserDefinedType

from sparkify.warehouse.duckdb import SCREENED_CSV_PREFIX

#: Stands for the run's key in staging-table names: a run names them after its flow run id.
PLAN_RUN_KEY = "plan"
MASK = "***"
#: Secrets inside Redshift's COPY credentials string, whatever value they hold.
_CREDENTIAL_SECRETS = re.compile(r"((?:aws_secret_access_key|token)=)[^;']*")
#: What stands for the local copies of S3 objects that a run lists and downloads.
DOWNLOAD_FOLDER = "<temporary download folder>"
#: What stands for the file of screened CSV records DuckDB reads, a new temporary folder each run.
SCREENED_CSV_FOLDER = "<temporary folder of the screened CSV records>"
#: A bound parameter in the text redshift_connector sends.
_PLACEHOLDER = re.compile(r"\$(\d+)")
_SCREENED_CSV = re.compile(re.escape(str(Path(tempfile.gettempdir(), SCREENED_CSV_PREFIX))) + r"[^/'\\]+")


@dataclass(frozen=True)
class Statement:
    """One statement as printed (values inlined, secrets masked) and as the driver would receive it."""

    sql: str
    driver_sql: str
    driver_parameters: Any = field(repr=False)


class _ListLiteral(UserDefinedType):
    """Renders a list bound as one value (DuckDB's ``read_json(:files)``) as a list literal."""

    cache_ok = True

    def literal_processor(self, dialect: Dialect) -> Callable[[list[Any]], str]:
        item = sa.String().literal_processor(dialect)
        opener = "[" if dialect.name == "duckdb" else "ARRAY["

        def render(values: list[Any]) -> str:
            return opener + ", ".join(item(str(value)) for value in values) + "]"

        return render


@dataclass(frozen=True)
class _Result:
    """What a recorded statement returns, so that every step goes on as in a run whose checks pass: one row
    counted; a count of 1; nothing a check counts as wrong (0); rows only where the plan knows them."""

    value: Any = 1
    rows: tuple[Any, ...] = ()
    rowcount: int = 1

    def scalar_one(self) -> Any:
        return self.value

    def scalar(self) -> Any:
        return self.value

    def scalars(self) -> _Result:
        return _Result(self.value, tuple(row[0] if isinstance(row, tuple) else row for row in self.rows))

    def all(self) -> list[Any]:
        """A listing finds nothing (the ledger, the staging tables), but for what the plan knows (the days staged)."""
        return list(self.rows)


#: What a plan reads for real when it is to show what a run would do to this warehouse: the ledger (which files
#: changed, which windows to reload) and the catalog (which tables, columns, indexes and marts it holds).
WAREHOUSE_READS = frozenset(
    {
        "ledger/loaded_listed",
        "ledger/loaded_objects",
        "ledger/loaded_identity",
        "catalog/table_columns",
        "catalog/indexes",
        "catalog/views",
        "catalog/mart_definitions",
        "catalog/staging_tables",
    }
)


def _answer(path: str | None, parameters: Mapping[str, Any], staged_days: Sequence[date]) -> _Result:
    """The result a run whose every check passes would see, by the statement's file."""
    if path == "staging/event_days":
        return _Result(rows=tuple(staged_days))
    if path == "checks/window/newest_play":
        return _Result(parameters["since"])  # as stale as the freshness check looks: it warns, it does not fail
    if path is not None and path.startswith("checks/") and path != "checks/table/row_count":
        return _Result(0)
    return _Result()


class _RecordingCopy:
    """psycopg's ``Copy`` with nowhere to send the rows: a plan has no data to stream."""

    def set_types(self, types: Any) -> None: ...

    def write_row(self, row: Any) -> None: ...

    def write(self, data: Any) -> None: ...


class _RecordingCursor:
    """psycopg's cursor as PostgreSQL's staging uses it: ``COPY … FROM STDIN`` is recorded like any statement."""

    rowcount = 1

    def __init__(self, engine: RecordingEngine) -> None:
        self._engine = engine

    @contextmanager
    def copy(self, statement: str) -> Iterator[_RecordingCopy]:
        self._engine.record(sa.text(statement), {})
        yield _RecordingCopy()


class _RecordingDriverConnection:
    """The pooled DBAPI connection and the driver's connection behind it, for code that needs the driver's API."""

    def __init__(self, engine: RecordingEngine) -> None:
        self._engine = engine

    @property
    def driver_connection(self) -> _RecordingDriverConnection:
        return self

    def cursor(self) -> _RecordingCursor:
        return _RecordingCursor(self._engine)


class RecordingConnection:
    """The part of a SQLAlchemy ``Connection`` the warehouses use; it records instead of executing."""

    def __init__(self, engine: RecordingEngine) -> None:
        self._engine = engine

    @property
    def connection(self) -> _RecordingDriverConnection:
        return _RecordingDriverConnection(self._engine)

    def execute(
        self, statement: sa.Executable, parameters: Mapping[str, Any] | list[Mapping[str, Any]] | None = None
    ) -> _Result:
        """Records the statement, once per parameter set when given many (executemany)."""
        for one in parameters if isinstance(parameters, list) else [parameters]:
            self._engine.record(statement, dict(one or {}))
        path = statement.get_execution_options().get("sql_path")
        single = parameters if isinstance(parameters, Mapping) else {}
        if path in WAREHOUSE_READS and self._engine.reader is not None:
            with self._engine.reader.connect() as conn:
                found = [tuple(row) for row in conn.execute(statement, dict(single))]
            return _Result(found[0][0] if found else None, tuple(found))
        return _answer(path, single, self._engine.staged_days)

    def rollback(self) -> None:
        """A run whose checks pass never rolls back: a plan shows that run."""

    def exec_driver_sql(self, statement: str, parameters: Any = None, execution_options: Any = None) -> _Result:
        """A statement sent as written, with no parameters (Redshift's COPY): the plan shows it as sent."""
        sql = self._engine.mask(statement.strip())
        self._engine.statements.append(Statement(sql, statement, None))
        self._engine.lines.append(f"{sql};")
        return _Result()

    @contextmanager
    def begin(self) -> Iterator[RecordingConnection]:
        with self._engine.begin():
            yield self


class RecordingEngine:
    """Stands in for a warehouse's ``Engine``: same URL and dialect, no connection ever opened."""

    def __init__(self, engine: Engine, secrets: tuple[str, ...] = (), reader: Engine | None = None) -> None:
        self.url = engine.url
        self.dialect = engine.dialect
        #: Where the warehouse's state is read for real (WAREHOUSE_READS): the plan shows what a run does to it.
        self.reader = reader
        self._secrets = tuple(secret for secret in secrets if secret)
        self._aliases: dict[str, str] = {}
        self.lines: list[str] = []
        self.statements: list[Statement] = []
        #: The days the run's staged events would fall on: those of the day files the plan found.
        self.staged_days: tuple[date, ...] = ()

    @contextmanager
    def begin(self) -> Iterator[RecordingConnection]:
        self.lines.append("BEGIN;")
        yield RecordingConnection(self)
        self.lines.append("COMMIT;")

    @contextmanager
    def connect(self) -> Iterator[RecordingConnection]:
        yield RecordingConnection(self)

    def note(self, text: str) -> None:
        """A comment line in the plan."""
        self.lines.extend(f"-- {line}" for line in self.mask(text).splitlines())

    def step(self, name: str) -> None:
        self.lines.extend(["", f"-- {name}"])

    def alias(self, text: str, shown: str) -> None:
        """Shows ``text`` (a temporary path, say) as ``shown`` wherever it appears."""
        self._aliases[text] = shown

    def mask(self, text: str) -> str:
        for text_, shown in self._aliases.items():
            text = text.replace(text_, shown)
        text = _SCREENED_CSV.sub(SCREENED_CSV_FOLDER, text)
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return _CREDENTIAL_SECRETS.sub(rf"\1{MASK}", text)

    def record(self, statement: sa.Executable, parameters: dict[str, Any]) -> None:
        compiled = statement.compile(dialect=self.dialect)
        if isinstance(compiled, SQLCompiler):
            state = compiled.construct_expanded_state(parameters)
            positions = state.positiontup
            driver_parameters = (
                tuple(state.parameters[name] for name in positions) if positions is not None else state.parameters
            )
            driver_sql = state.statement
            if isinstance(statement, sa.TextClause):
                statement = statement.bindparams(*_values(compiled, parameters))
        else:  # DDL: no parameters
            driver_sql, driver_parameters = compiled.string, {}
        if self.dialect.driver == "redshift_connector":
            sql = self.mask(self._as_sent(driver_sql, driver_parameters).strip())
        else:
            literal = str(statement.compile(dialect=self.dialect, compile_kwargs={"literal_binds": True})).strip()
            if self.dialect.paramstyle in ("format", "pyformat"):
                # such drivers take % as a placeholder, so the dialect writes every % as %%: the plan shows the SQL
                literal = literal.replace("%%", "%")
            sql = self.mask(literal)
        self.statements.append(Statement(sql, driver_sql, driver_parameters))
        self.lines.append(f"{sql};")

    def _as_sent(self, driver_sql: str, parameters: Any) -> str:
        """The text redshift_connector sends (its own conversion of the placeholders to ``$n``), each ``$n``
        followed by the value the driver binds to it, in a comment: ``$1 /* '2018-11-01 00:00:00' */``."""
        wire, _ = convert_paramstyle(self.dialect.paramstyle, driver_sql)
        values = tuple(parameters or ())
        return _PLACEHOLDER.sub(lambda match: f"{match[0]} /* {self._literal(values[int(match[1]) - 1])} */", wire)

    def _literal(self, value: Any) -> str:
        rendered = str(sa.literal(value).compile(dialect=self.dialect, compile_kwargs={"literal_binds": True}))
        return rendered.replace("%%", "%").replace("/*", "/ *").replace("*/", "* /")


def _values(compiled: SQLCompiler, parameters: Mapping[str, Any]) -> list[sa.BindParameter[Any]]:
    """The text's parameters bound to their values, typed so each renders as a literal of its kind."""
    binds = []
    for name, bind in compiled.binds.items():
        if name not in parameters:
            continue
        value = parameters[name]
        list_value = isinstance(value, list | tuple) and not bind.expanding
        binds.append(sa.bindparam(name, value, expanding=bind.expanding, type_=_ListLiteral() if list_value else None))
    return binds
