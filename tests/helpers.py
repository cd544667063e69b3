"""Small helpers shared by the tests that run the flow and read its tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from sparkify.schema import STAR_SCHEMA


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
