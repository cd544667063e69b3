"""The listening report of the run's window, published beside the quality and rejects artifacts."""

from __future__ import annotations

from prefect import get_run_logger
from prefect.artifacts import create_markdown_artifact

from sparkify import report, steps
from sparkify.run import LoadRun
from sparkify.warehouse import Warehouse
from tasks.policy import step_task


@step_task(steps.listening_report)
def publish_listening_report(warehouse: Warehouse, run: LoadRun) -> report.ListeningReport:
    """Reads the window's listening and publishes it as a Markdown artifact."""
    listening = steps.listening_report(warehouse, run)
    create_markdown_artifact(
        key="sparkify-listening",
        markdown=report.render(listening),
        description=f"What users listened to in {run.window}: top songs and artists, plays by hour, free and paid",
    )
    get_run_logger().info("listening report: %d plays in %s", listening.plays, run.window)
    return listening
