"""The audit: every whole-table quality check, on a schedule of its own (daily), beside the hourly runs.

An hourly run checks what it wrote, by key and by its window's time range, so its cost follows the hour; the audit
reads whole tables, so it also sees a defect outside any window a run loaded since (a row written by hand, say).
"""

from __future__ import annotations

from prefect import State, flow
from prefect.runtime import flow_run
from prefect.states import Failed

from sparkify import quality, steps
from sparkify.config import RunConfig
from sparkify.errors import DataQualityError, PipelineError, log_messages_only
from sparkify.run import LoadRun
from sparkify.steps import Audit
from sparkify.warehouse import connect
from sparkify.window import Window
from tasks import TaskRunner


@flow(name="sparkify-audit")
def sparkify_audit(warehouse: str | None = None, warehouse_block: str | None = None) -> Audit | State:
    """Runs every whole-table check, keeps each result in check_results, and fails when an error-level one fails.

    Args:
        warehouse: SQLAlchemy URL of the warehouse (default: SPARKIFY_WAREHOUSE, else the DuckDB file
            data/sparkify.duckdb). A flow run refuses a URL holding a password, which it would store in the clear:
            the password goes in a WarehouseConnection block or SPARKIFY_WAREHOUSE_PASSWORD (the command line moves
            one given in --warehouse there).
        warehouse_block: Name of a saved WarehouseConnection block, used instead of warehouse: how a password and
            Redshift's COPY credentials reach a run.
    """
    log_messages_only()
    try:
        config = RunConfig.resolve(warehouse=warehouse, warehouse_block=warehouse_block)
        try:
            target = connect(config.target)
        except ValueError as refused:  # an engine refusing its URL (an in-memory DuckDB): a mistake, said so
            return Failed(message=str(refused), data=refused)
        runner = TaskRunner(config.task_retries, config.retry_delay_seconds)
        with target.exclusive():
            runner.call(steps.check_connections, target)
            runner.call(steps.create_tables, target)
            audited = runner.call(steps.audit, target, LoadRun.new(Window.everything(), flow_run.id))
        if any(result.failed_error for result in audited.checks):
            raise DataQualityError(quality.failure_message("the audit's", audited.checks))
        return audited
    except PipelineError as error:
        return Failed(message=str(error), data=error)
