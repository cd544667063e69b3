"""The source's steps: where the raw feeds are, whether the run can reach everything, the catalog's listing."""

from __future__ import annotations

from prefect import get_run_logger

from sparkify import steps
from sparkify.sources import SongListing, Source
from sparkify.warehouse import Warehouse
from sparkify.window import Window
from tasks.policy import step_task


@step_task(steps.prepare_source)
def prepare_source(
    source: str, s3_block: str | None = None, events_format: str = "json", window: Window | None = None
) -> Source:
    """The source to read, a folder or s3://; the demo sample is generated on first use, its live days as the window
    reaches them."""
    opened = steps.prepare_source(source, s3_block, events_format, window)
    get_run_logger().info("source: %s (%s event logs)", opened.uri, events_format)
    return opened


@step_task(steps.check_connections, retries=0)
def check_connections(warehouse: Warehouse, source: Source | None = None) -> None:
    """The warehouse answers and the source lists, before any step: a mistake stops the run at once, never retried
    (a wrong password, a refused connection, a held DuckDB file are not faults a later try outlives)."""
    steps.check_connections(warehouse, source)
    get_run_logger().info("reached %r%s", warehouse, f" and {source.uri}" if source is not None else "")


@step_task(steps.list_catalog)
def list_catalog(source: Source) -> SongListing:
    """Lists the catalog as a whole (names and identities, no content): it needs no warehouse, so a run starts here."""
    return steps.list_catalog(source)
