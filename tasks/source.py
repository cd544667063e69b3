"""Step 0: find the raw feeds, generating the sample ones for the embedded default."""

from __future__ import annotations

from pathlib import Path

from prefect import get_run_logger, task

from sparkify import generator
from sparkify.settings import SAMPLE_SOURCE
from sparkify.sources import Source, open_source
from tasks.policy import TASK_OPTIONS


@task(name="prepare-source", **TASK_OPTIONS)
def prepare_source(source: str, s3_block: str | None = None, events_format: str = "json") -> Source:
    """The source to read, a folder or s3:// (``open_source``); the default one is generated on first use."""
    root = Path(source)
    if source == SAMPLE_SOURCE and not root.exists():
        sample = generator.ensure_sample(root)
        if sample is not None:
            get_run_logger().info(
                "generated the sample source %s: %d events in %d files, %d songs",
                root,
                sample.events,
                sample.event_files,
                sample.song_files,
            )
    return open_source(source, s3_block=s3_block, events_format=events_format)
