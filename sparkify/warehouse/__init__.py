"""Warehouse engines behind one interface, chosen by the connection URL's backend."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from sparkify.warehouse.base import Warehouse
from sparkify.warehouse.duckdb import DuckDBWarehouse

_ENGINES: dict[str, type[Warehouse]] = {
    "duckdb": DuckDBWarehouse,
}


class WarehouseConfigError(ValueError):
    """The warehouse URL names an engine the pipeline does not support."""


def connect(url: str | sa.URL) -> Warehouse:
    """The warehouse for a SQLAlchemy URL such as ``duckdb:///data/sparkify.duckdb``."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend not in _ENGINES:
        supported = ", ".join(sorted(_ENGINES))
        raise WarehouseConfigError(f"unsupported warehouse {backend!r} in {parsed!r}: use one of {supported}")
    return _ENGINES[backend].from_url(parsed)


__all__ = ["Warehouse", "WarehouseConfigError", "connect"]
