"""Small helpers shared by the tests that run the flow and read its tables."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from bench.services import LOOPBACK, PostgresServer
from sparkify import pipeline
from sparkify.config import RunConfig
from sparkify.pipeline import DirectRunner, RunSummary
from sparkify.run import LoadRun
from sparkify.schema import STAR_SCHEMA
from sparkify.warehouse import connect


def duckdb_url(directory: Path) -> str:
    return f"duckdb:///{directory / 'warehouse.duckdb'}"


def rows(url: str, query: str, **params: Any) -> list[tuple[Any, ...]]:
    """Every row a query returns, as plain tuples."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(sa.text(query), params)]
    finally:
        engine.dispose()


def star_contents(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every star-schema table, rows sorted: two warehouses hold the same data iff these are equal."""
    contents = {}
    for table in STAR_SCHEMA:
        columns = ", ".join(column.name for column in table.columns)
        fetched = rows(url, f"SELECT {columns} FROM {table.name}")
        contents[table.name] = sorted(fetched, key=lambda row: tuple((value is None, str(value)) for value in row))
    return contents


def run_steps(
    source: Path | str,
    url: str,
    window_start: datetime | None = None,
    window_end: datetime | None = None,
    **options: Any,
) -> RunSummary:
    """Every step of a run, in the flow's order, without Prefect: for tests of the SQL's rules, not of the flow.

    Every error-level quality check must pass, as the flow's would (a failed one raises DataQualityError).
    """
    config = RunConfig.resolve(
        source=str(source), warehouse=url, window_start=window_start, window_end=window_end, **options
    )
    warehouse = connect(url)
    try:
        return pipeline.load(DirectRunner(), config, LoadRun.new(config.window), warehouse)
    finally:
        warehouse.engine.dispose()


@contextmanager
def password_login(server: PostgresServer, database_url: str) -> Iterator[tuple[str, str]]:
    """A role that owns ``database_url``'s database and must give its password (the test server trusts every other
    login on loopback): ``(user, password)``. Its line in pg_hba.conf goes first, and is removed afterwards."""
    role, password = f"pw_{uuid.uuid4().hex[:8]}", f"Pw-{uuid.uuid4().hex}"
    database = make_url(database_url).database
    admin = sa.create_engine(server.url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
        conn.exec_driver_sql(f'ALTER DATABASE "{database}" OWNER TO {role}')
        hba = Path(conn.exec_driver_sql("SHOW hba_file").scalar_one())
    owner = sa.create_engine(database_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with owner.connect() as conn:
        conn.exec_driver_sql(f"ALTER SCHEMA public OWNER TO {role}")
    line = f"host all {role} {LOOPBACK}/32 scram-sha-256\n"
    hba.write_text(line + hba.read_text())
    with admin.connect() as conn:
        conn.exec_driver_sql("SELECT pg_reload_conf()")
    _until_refused(make_url(database_url).set(username=role))  # the server reloads its configuration in a moment
    try:
        yield role, password
    finally:
        hba.write_text(hba.read_text().replace(line, ""))
        with admin.connect() as conn:
            conn.exec_driver_sql("SELECT pg_reload_conf()")
        admin.dispose()
        owner.dispose()


def _until_refused(url: sa.URL, timeout: float = 10) -> None:
    """Waits until the server refuses ``url``'s login without a password."""
    engine = sa.create_engine(url, poolclass=NullPool)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            try:
                engine.connect().close()
            except sa.exc.OperationalError:
                return
            time.sleep(0.1)
        raise AssertionError(f"the server still lets {url.username} in without a password")
    finally:
        engine.dispose()
