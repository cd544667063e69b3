"""Step 1: make sure the star schema exists."""

from __future__ import annotations

from prefect import get_run_logger, task

from sparkify import steps
from sparkify.warehouse import Warehouse
from tasks.policy import TASK_OPTIONS


@task(name="create-tables", **TASK_OPTIONS)
def create_tables(warehouse: Warehouse) -> None:
    """Creates missing tables; safe on a warehouse that already holds data."""
    steps.create_tables(warehouse)
    get_run_logger().info("star schema ready on %r", warehouse)
