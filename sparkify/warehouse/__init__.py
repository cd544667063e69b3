"""Warehouse engines behind one interface, chosen by the connection URL's backend."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from sparkify.errors import PipelineError
from sparkify.settings import MAX_ERROR_BUDGET, get_settings
from sparkify.warehouse.base import Warehouse
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


class WarehouseConfigError(PipelineError, ValueError):
    """The warehouse URL names an engine the pipeline does not support, or is no URL at all."""


def connect(
    url: str | sa.URL | None = None,
    *,
    block: str | WarehouseConnection | None = None,
    max_errors: int | None = None,
) -> Warehouse:
    """The warehouse for a SQLAlchemy URL such as ``duckdb:///data/sparkify.duckdb``.

    A ``WarehouseConnection`` block (or the name it was saved under) wins over the URL:
    it is how a password and Redshift's COPY credentials reach a run without a URL holding them.
    ``max_errors`` is the run's error budget, when it sets one (:func:`error_budget`).
    """
    if block is not None:
        # imported here: prefect-aws (which the block type needs) is slow to import and local runs skip it
        from sparkify.blocks import WarehouseConnection

        connection = WarehouseConnection.load(block) if isinstance(block, str) else block
        budget = error_budget(max_errors, connection.copy_max_error)
        return _engine_class(connection.url()).from_connection(connection, budget)
    if url is None:
        raise WarehouseConfigError("give a warehouse URL or the name of a WarehouseConnection block")
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError:
        raise WarehouseConfigError(
            f"the warehouse {url!r} is not a SQLAlchemy URL: e.g. duckdb:///data/sparkify.duckdb or "
            "postgresql+psycopg://user@host/db"
        ) from None
    if parsed.password is None and parsed.get_backend_name() != "duckdb":
        password = get_settings().warehouse_password
        if password is not None:  # a password never travels in a flow parameter: it comes from the environment
            parsed = parsed.set(password=password.get_secret_value())
    return _engine_class(parsed).from_url(parsed, error_budget(max_errors))


def error_budget(run: int | None, block: int | None = None) -> int:
    """Bad records a feed may have before the run fails: the run's, else the block's, else the settings'."""
    budget = next((value for value in (run, block) if value is not None), None)
    if budget is None:
        return get_settings().copy_max_error
    if not 0 <= budget <= MAX_ERROR_BUDGET:
        raise WarehouseConfigError(
            f"the error budget (max_errors) must be from 0 to {MAX_ERROR_BUDGET:,} (Redshift's COPY takes no more), "
            f"not {budget}"
        )
    return budget


def _engine_class(url: sa.URL) -> type[Warehouse]:
    backend = url.get_backend_name()
    if backend not in _ENGINES:
        supported = ", ".join(sorted(_ENGINES))
        raise WarehouseConfigError(f"unsupported warehouse {backend!r} in {url!r}: use one of {supported}")
    return _ENGINES[backend]


__all__ = ["Warehouse", "WarehouseConfigError", "connect", "error_budget"]
