"""Step 5: the quality checks; any failure fails the run, after the report is published."""

from __future__ import annotations

from dataclasses import dataclass

from prefect import get_run_logger, task
from prefect.artifacts import create_table_artifact

from sparkify import quality, steps
from sparkify.errors import DataQualityError
from sparkify.run import LoadRun
from sparkify.warehouse import Warehouse
from tasks.policy import TASK_OPTIONS


@dataclass(frozen=True)
class QualityReport:
    results: list[quality.CheckResult]
    row_counts: dict[str, int]

    @property
    def failures(self) -> list[quality.CheckResult]:
        return [result for result in self.results if not result.passed]


@task(name="run-quality-checks", **TASK_OPTIONS)
def run_quality_checks(warehouse: Warehouse, run: LoadRun) -> QualityReport:
    """Evaluates ``quality.CHECKS``, publishes them as a table artifact, raises if any failed."""
    report = QualityReport(*steps.check_quality(warehouse, run))
    create_table_artifact(
        key="sparkify-quality-checks",
        table=[
            {
                "check": result.check,
                "status": "passed" if result.passed else "FAILED",
                "observed": f"{result.observed} {result.unit}",
                "expected": result.expected,
            }
            for result in report.results
        ],
        description=(
            f"{len(report.results) - len(report.failures)} of {len(report.results)} checks passed "
            f"for {run.window}; rows: " + ", ".join(f"{name} {count}" for name, count in report.row_counts.items())
        ),
    )
    logger = get_run_logger()
    for failure in report.failures:
        logger.error(failure.describe())
    logger.info("%d of %d quality checks passed", len(report.results) - len(report.failures), len(report.results))
    if report.failures:
        raise DataQualityError(
            f"{len(report.failures)} of {len(report.results)} quality checks failed:\n"
            + "\n".join(f"  - {failure.describe()}" for failure in report.failures)
        )
    return report
