"""What each kind of run guarantees: an hourly run checks what it wrote, the audit checks whole tables.

Each defect is made once inside the window a run writes (the hourly run must catch it, and commits nothing) and
once outside it (the hourly run does not read it; the audit, which reads whole tables, catches it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa

from sparkify import pipeline, steps
from sparkify.config import RunConfig
from sparkify.errors import DataQualityError
from sparkify.pipeline import DirectRunner
from sparkify.run import LoadRun
from sparkify.warehouse import connect
from sparkify.window import Window
from tests.support.factories import event, song, write_source
from tests.support.helpers import rows, run_steps, star_contents

T = TypeVar("T")
CATALOG = [song("SOX", "Song", artist_id="ARX", artist_name="Artist", duration=200.0)]
EVENTS = [
    event("2018-11-08T09:10:00.000", user_id="7", session_id=70, item=0),
    event("2018-11-09T09:10:00.000", user_id="8", session_id=80, item=0),
    # the hour the run loads: a user and play times the warehouse does not hold yet
    event("2018-11-10T10:10:00.000", user_id="10", session_id=100, item=0),
    event("2018-11-10T10:20:00.000", user_id="10", session_id=100, item=1),
]
#: The songplay_id of the hour's plays, as the pipeline derives them from the events' identity.
HOUR_IDS = [hashlib.md5(f"100-{item}-10".encode()).hexdigest() for item in (0, 1)]
HOUR = Window(datetime(2018, 11, 10, 10), datetime(2018, 11, 10, 11))


@dataclass(frozen=True)
class Damaging(DirectRunner):
    """Carries out each step, but damages the run's own tables just before it publishes them."""

    damage: str = ""

    def call(self, step: Callable[..., T], *args: Any) -> T:
        if step is steps.publish_window:
            warehouse, _, run = args[:3]
            with warehouse.engine.begin() as conn:
                conn.execute(sa.text(self.damage.format(**run.staging_tables)))
        return super().call(step, *args)


def hourly(source: Path, url: str, runner: DirectRunner | None = None) -> pipeline.RunSummary:
    config = RunConfig.resolve(source=str(source), warehouse=url, window_start=HOUR.start, window_end=HOUR.end)
    warehouse = connect(url)
    try:
        return pipeline.load(runner or DirectRunner(), config, LoadRun.new(config.window), warehouse)
    finally:
        warehouse.engine.dispose()


def audit(url: str) -> list[str]:
    warehouse = connect(url)
    try:
        return [
            result.check
            for result in steps.audit(warehouse, LoadRun.new(Window.everything())).checks
            if not result.passed
        ]
    finally:
        warehouse.engine.dispose()


def execute(url: str, statement: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(statement))
    engine.dispose()


@pytest.fixture
def source(tmp_path: Path, url: str) -> Path:
    root = write_source(tmp_path / "source", EVENTS, CATALOG)
    for day in (8, 9):  # the history before the hour, every check green
        run_steps(root, url, window_start=datetime(2018, 11, day), window_end=datetime(2018, 11, day + 1))
    return root


INSIDE = {
    # a key the run inserts already exists elsewhere in the table: found by key, not by scanning the table
    "unique(songplays.songplay_id)": (
        "INSERT INTO songplays (songplay_id, start_time, user_id, level) "
        f"VALUES ('{HOUR_IDS[0]}', TIMESTAMP '2018-10-01 00:00:00', 10, 'free')"
    ),
    "relationships(songplays.start_time -> time.start_time)": (
        "DELETE FROM {window_time} WHERE start_time = (SELECT MIN(start_time) FROM {window_time})"
    ),
    "relationships(songplays.user_id -> users.user_id)": "DELETE FROM {window_users}",
}


@pytest.mark.parametrize("check", list(INSIDE))
def test_the_hourly_run_catches_a_defect_in_what_it_writes_and_commits_nothing(
    source: Path, url: str, check: str
) -> None:
    damage = INSIDE[check]
    if damage.startswith("INSERT INTO songplays"):  # the defect is in the table, against the run's own keys
        execute(url, damage)
        runner = DirectRunner()
    else:  # the defect is in what the run is about to publish
        runner = Damaging(damage=damage)
    before = star_contents(url)
    with pytest.raises(DataQualityError) as failed:
        hourly(source, url, runner)
    assert f"{check} FAILED" in str(failed.value)
    assert star_contents(url) == before


OUTSIDE = {
    "unique(songplays.songplay_id)": (
        "INSERT INTO songplays (songplay_id, start_time, user_id, level) "
        "SELECT songplay_id, start_time, user_id, level FROM songplays WHERE start_time < '2018-11-09 00:00:00'"
    ),
    "relationships(songplays.start_time -> time.start_time)": (
        "DELETE FROM time WHERE start_time < '2018-11-09 00:00:00'"
    ),
    "relationships(songplays.user_id -> users.user_id)": "DELETE FROM users WHERE user_id = 7",
}


@pytest.mark.parametrize("check", list(OUTSIDE))
def test_a_defect_outside_the_window_is_the_audits_to_catch_not_the_hourly_runs(
    source: Path, url: str, check: str
) -> None:
    execute(url, OUTSIDE[check])
    hourly(source, url)  # reads its window and its keys: green
    assert check in audit(url)
    assert rows(url, "SELECT COUNT(*) FROM check_results WHERE NOT passed AND check_name = :name", name=check) == [(1,)]
