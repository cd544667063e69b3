"""The quality checks' results, published: a table artifact, the log, and an alert when a warning-level one failed."""

from __future__ import annotations

from collections.abc import Sequence

from prefect import get_run_logger
from prefect.artifacts import create_table_artifact

from sparkify import quality, steps
from sparkify.run import LoadRun
from sparkify.steps import Audit, Publication
from sparkify.warehouse import Warehouse
from tasks.policy import step_task


def publish_results(results: Sequence[quality.CheckResult], what: str) -> None:
    """The results as the ``sparkify-quality-checks`` table artifact, and each one that did not pass in the log."""
    failed = [result for result in results if not result.passed]
    create_table_artifact(
        key="sparkify-quality-checks",
        table=[
            {
                "check": result.check,
                "severity": result.severity,
                "status": "passed" if result.passed else ("FAILED" if result.severity == "error" else "WARNING"),
                "observed": "skipped" if result.observed is None else f"{result.observed:g} {result.unit}",
                "expected": result.expected,
                "note": result.note,
            }
            for result in results
        ],
        description=f"{len(results) - len(failed)} of {len(results)} checks passed for {what}",
    )
    logger = get_run_logger()
    for result in failed:
        (logger.error if result.severity == "error" else logger.warning)(result.describe())
    logger.info("%d of %d quality checks passed for %s", len(results) - len(failed), len(results), what)


@step_task(steps.report_checks)
def report_checks(publication: Publication, run: LoadRun) -> Publication:
    """Publishes the window's check results; a failed warning-level check completes the run and raises an alert."""
    publish_results(publication.checks, str(run.window))
    if publication.committed and publication.warnings:
        from sparkify.alerts import emit_check_warnings

        emit_check_warnings(str(run.window), publication.warnings)
    return publication


@step_task(steps.audit)
def audit(warehouse: Warehouse, run: LoadRun) -> Audit:
    """Every whole-table check, its results kept in check_results and published."""
    audited = steps.audit(warehouse, run)
    publish_results(audited.checks, "the whole tables")
    return audited
