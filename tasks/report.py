"""Step 6: the listening report of the run's window, published beside the quality and rejects artifacts."""

from __future__ import annotations

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact

from sparkify import report, steps
from sparkify.run import LoadRun
from sparkify.warehouse import Warehouse
from tasks.policy import TASK_OPTIONS


@task(name="listening-report", **TASK_OPTIONS)
def publish_listening_report(warehouse: Warehouse, run: LoadRun) -> report.ListeningReport:
    """Reads the window's listening from the marts and publishes it as a Markdown artifact."""
    listening = steps.listening_report(warehouse, run)
    create_markdown_artifact(
        key="sparkify-listening",
        markdown=report.render(listening),
        description=f"What users listened to in {run.window}: top songs and artists, plays by hour, free and paid",
    )
    get_run_logger().info("listening report: %d plays in %s", listening.plays, run.window)
    return listening
