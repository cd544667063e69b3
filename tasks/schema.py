"""Make sure the star schema and its marts exist."""

from __future__ import annotations

from prefect import get_run_logger

from sparkify import steps
from sparkify.warehouse import Warehouse
from tasks.policy import step_task


@step_task(steps.create_tables)
def create_tables(warehouse: Warehouse) -> None:
    """Creates missing tables and changed marts; safe on a warehouse that already holds data."""
    steps.create_tables(warehouse)
    get_run_logger().info("star schema ready on %r", warehouse)
