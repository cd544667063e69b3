"""The Sparkify ETL: raw song and event files into the star schema, checked.

Orchestration only; every step is a task under ``tasks/`` and every statement a
file under ``sql/``. Run it with ``python -m flows.etl`` (``--help`` for options).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from prefect import flow
from prefect.futures import PrefectFutureList
from prefect.runtime import flow_run

from sparkify import settings
from sparkify.run import LoadRun
from sparkify.schema import DIMENSIONS
from sparkify.warehouse import connect
from sparkify.window import Window
from tasks.loading import load_dimension, load_songplays
from tasks.quality import run_quality_checks
from tasks.schema import create_tables
from tasks.source import prepare_source
from tasks.staging import drop_staging, stage_events, stage_songs


@dataclass(frozen=True)
class RunSummary:
    """What a run did, small enough to print and to keep as the flow's result."""

    window: str
    staged_events: int
    staged_songs: int
    songplays_loaded: int
    row_counts: dict[str, int] = field(default_factory=dict)
    checks_passed: int = 0

    def lines(self) -> list[str]:
        rows = ", ".join(f"{table} {count}" for table, count in self.row_counts.items())
        return [
            f"window: {self.window}",
            f"staged: {self.staged_events} events, {self.staged_songs} songs",
            f"loaded: {self.songplays_loaded} songplays",
            f"rows: {rows}",
            f"checks: {self.checks_passed} passed",
        ]


@flow(name="sparkify-etl")
def sparkify_etl(
    source: str = settings.DEFAULT_SOURCE,
    warehouse: str = settings.DEFAULT_WAREHOUSE,
    window_start: datetime | None = None,
    window_end: datetime | None = None,
) -> RunSummary:
    """Loads the source's events of [window_start, window_end) (all of them by default) into the star schema."""
    window = Window.from_bounds(window_start, window_end)
    run = LoadRun.new(window, flow_run.id)
    target = connect(warehouse)

    raw = prepare_source(source)
    create_tables(target)
    staged_events, staged_songs = PrefectFutureList(
        [stage_events.submit(target, raw, run), stage_songs.submit(target, raw, run)]
    ).result()
    songplays_loaded = load_songplays(target, run, raw.uri)
    PrefectFutureList([load_dimension.submit(target, table, run) for table in DIMENSIONS]).result()
    report = run_quality_checks(target, run)
    drop_staging(target, run)

    return RunSummary(
        window=str(window),
        staged_events=staged_events,
        staged_songs=staged_songs,
        songplays_loaded=songplays_loaded,
        row_counts=report.row_counts,
        checks_passed=len(report.results),
    )


if __name__ == "__main__":
    from flows.cli import main

    raise SystemExit(main())
