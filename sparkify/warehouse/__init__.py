"""Warehouse engines behind one interface, chosen by the connection URL's backend."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from sparkify.config import ConfigError, WarehouseTarget, error_budget
from sparkify.warehouse.base import Warehouse, WarehouseUnreachable
from sparkify.warehouse.duckdb import DuckDBWarehouse
from sparkify.warehouse.postgres import PostgresWarehouse
from sparkify.warehouse.redshift import RedshiftWarehouse

if TYPE_CHECKING:
    from sparkify.blocks import WarehouseConnection

_ENGINES: dict[str, type[Warehouse]] = {
    "duckdb": DuckDBWarehouse,
    "postgresql": PostgresWarehouse,
    "redshift": RedshiftWarehouse,
}

#: A warehouse URL, block or error budget the pipeline cannot use: one kind of configuration mistake.
WarehouseConfigError = ConfigError


def connect(
    warehouse: WarehouseTarget | str | sa.URL | None = None,
    *,
    block: str | WarehouseConnection | None = None,
    max_errors: int | None = None,
) -> Warehouse:
    """The warehouse a resolved :class:`~sparkify.config.WarehouseTarget` names, or the one a URL such as
    ``duckdb:///data/sparkify.duckdb``, a ``WarehouseConnection`` block (or its name) and an error budget resolve to
    (``WarehouseTarget.resolve``: the block wins; it is how a password and Redshift's COPY credentials reach a run).

    Nothing is connected to yet: :meth:`Warehouse.ping` does.
    """
    target = (
        warehouse if isinstance(warehouse, WarehouseTarget) else WarehouseTarget.resolve(warehouse, block, max_errors)
    )
    engine = _ENGINES[target.url.get_backend_name()]
    if target.connection is not None:
        return engine.from_connection(target.connection, target.max_errors)
    return engine.from_url(target.url, target.max_errors)


__all__ = ["Warehouse", "WarehouseConfigError", "WarehouseTarget", "WarehouseUnreachable", "connect", "error_budget"]
