"""``plan``: every SQL statement a run would execute, printed for review, without connecting to anything.

The plan is not a second list of statements kept by hand. It runs the very steps
a flow run runs (:func:`sparkify.pipeline.load`) on the same warehouse class,
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
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa

from sparkify import pipeline
from sparkify.config import RunConfig
from sparkify.ledger import lookback_window
from sparkify.pipeline import DirectRunner
from sparkify.run import LoadRun
from sparkify.sources import (
    event_file_day,
)
from sparkify.warehouse import Warehouse, connect
from sparkify.window import Window

if TYPE_CHECKING:
    from sparkify.blocks import WarehouseConnection

from sparkify.dryrun.recorder import PLAN_RUN_KEY, RecordingEngine, Statement
from sparkify.dryrun.sources import planned_source

logger = logging.getLogger("sparkify.plan")


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
    reads = "its ledger and catalog read, nothing written" if read_warehouse else "nothing is connected to"
    logger.info("planning a run of %s into %r for %s; %s", source, target, window, reads)
    try:
        pipeline.load(DirectRunner(recorder.step), config, run, planned, opened)
    finally:
        target.engine.dispose()
    logger.info("planned %d statements", len(recorder.statements))
    return Plan(recorder.lines, recorder.statements)
