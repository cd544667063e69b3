"""``plan``: every SQL statement a run would execute, printed for review, without connecting to anything.

The plan is not a second list of statements kept by hand. It runs the very steps
a flow run runs (:func:`sparkify.steps.run_in_order`) on the same warehouse class,
whose engine is swapped for a :class:`RecordingEngine`: each statement is compiled
by the warehouse's real dialect, once as the driver would receive it and once with
its values inlined, and kept instead of sent. On Redshift the plan prints the text
redshift_connector sends (its ``$n`` placeholders, each bound value beside it in a
comment; COPY with its values written in, as sent): reviewing the plan is reviewing
the run's traffic (``tests/test_redshift_wire.py`` holds them equal). Secrets are
masked on the way in.

Sources are read as little as a plan needs: a local folder is listed but no file
is read; an S3 source is neither listed nor read, and comment lines say which
statements stand for objects found at run time.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import logging
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import sqlalchemy as sa
from redshift_connector.core import convert_paramstyle
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.types import UserDefinedType

from sparkify import pipeline
from sparkify.config import RunConfig
from sparkify.ledger import lookback_window
from sparkify.pipeline import DirectRunner
from sparkify.records import SONG_FIELDS
from sparkify.run import LoadRun
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
    event_file_day,
    event_file_key,
    open_source,
)
from sparkify.warehouse import Warehouse, connect
from sparkify.warehouse.duckdb import SCREENED_CSV_PREFIX
from sparkify.window import Window

if TYPE_CHECKING:
    from sparkify.blocks import WarehouseConnection

logger = logging.getLogger(__name__)

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


@dataclass(frozen=True)
class Plan:
    """The recorded statements, and the plan's text: SQL and comment lines, every statement ending with ``;``."""

    lines: list[str]
    statements: list[Statement]

    def text(self) -> str:
        return "\n".join(self.lines).strip() + "\n"


def plan(
    source: str,
    warehouse: str | sa.URL | None = None,
    *,
    block: str | WarehouseConnection | None = None,
    window: Window | None = None,
    events_format: str = "json",
    max_errors: int | None = None,
    lookback_days: float | None = None,
    full_refresh: bool = False,
    read_warehouse: bool = False,
) -> Plan:
    """Records what a run of ``source`` into the warehouse (URL or block) over ``window`` would execute.

    ``read_warehouse``: the warehouse's ledger and catalog are read (:data:`WAREHOUSE_READS`, nothing written), so
    that the plan shows the files and the earlier windows a run would load, and the marts it would replace, as a run
    into that warehouse would; without it nothing is connected to.
    """
    window = window or Window.everything()
    config = RunConfig.resolve(
        source=source,
        window_start=None if window.is_everything else window.start,
        window_end=None if window.is_everything else window.end,
        events_format=events_format,
        max_errors=max_errors,
        lookback_days=lookback_days,
        full_refresh=full_refresh,
    )
    target = connect(warehouse, block=block, max_errors=max_errors)
    recorder = RecordingEngine(target.engine, target.secrets(), target.engine if read_warehouse else None)
    planned: Warehouse = copy.copy(target)  # the same warehouse, its engine a recorder
    planned.engine = recorder  # type: ignore[assignment]
    planned.exclusive = contextlib.nullcontext  # type: ignore[method-assign]
    run = LoadRun(PLAN_RUN_KEY, window)
    opened = planned_source(source, events_format, recorder)
    lookback = lookback_window(window, config.lookback_days)
    listed = [*opened.event_objects(window), *(opened.event_objects(lookback) if lookback else ())]
    recorder.staged_days = tuple(sorted({day for day in map(event_file_day, (item.key for item in listed)) if day}))
    if not recorder.staged_days:  # the S3 objects of a full load, which a plan does not list
        recorder.staged_days = (window.start.date(),)
        recorder.note(
            f"a run replaces the facts of each day it reads a day file for: {window.start.date()} stands for them."
        )
    recorder.note(
        "Sparkify ETL plan: every statement a run would execute, in order; "
        + (
            "the warehouse's ledger and catalog were read, nothing written.\n"
            if read_warehouse
            else "nothing was connected to.\n"
        )
        + f"source: {source} ({events_format} event logs)\n"
        f"warehouse: {target!r}\n"
        f"window: {window}\n"
        f"staging tables are named after the flow run: {PLAN_RUN_KEY!r} stands for its key here."
    )
    logger.info("planning a run of %s into %r for %s; nothing is connected to", source, target, window)
    try:
        pipeline.load(DirectRunner(recorder.step), config, run, planned, opened)
    finally:
        target.engine.dispose()
    logger.info("planned %d statements", len(recorder.statements))
    return Plan(recorder.lines, recorder.statements)
