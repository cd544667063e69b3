"""Small helpers shared by the tests that run the flow and read its tables."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

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
