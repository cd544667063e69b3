"""The listening report: its figures against plain Python, its chart, the ``report`` command.

The report reads a DuckDB warehouse loaded by the pipeline's steps (no flow run: the
flow's artifact is checked in ``tests/test_flow.py`` on a run it makes anyway).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from itertools import pairwise
from pathlib import Path

import pytest

from flows.cli import main
from sparkify import report
from sparkify.sample import GeneratorConfig, generate
from sparkify.warehouse import connect
from sparkify.window import Window
from tests.support.helpers import duckdb_url
from tests.test_conformance import expected_tables
from tests.test_marts import expected_marts, load

#: The generated sample's fourth day, a window that holds plays.
DAY = Window(datetime(2018, 11, 4), datetime(2018, 11, 5))


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(tmp_path_factory.mktemp("source"), GeneratorConfig(events=3000, songs=200, users=40)).root


@pytest.fixture(scope="module")
def warehouse_url(source: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    url = duckdb_url(tmp_path_factory.mktemp("warehouse"))
    load(url, source).engine.dispose()
    return url


def in_window(moment: datetime, window: Window) -> bool:
    return window.start <= moment < window.end


def test_the_report_counts_the_window_as_python_does(source: Path, warehouse_url: str) -> None:
    marts = expected_marts(source)
    hours = [row for row in marts["listening_by_hour"] if in_window(row[0], DAY)]
    songs: Counter[tuple[str, str]] = Counter()
    for row in marts["plays_by_song"]:
        if in_window(row[0], DAY):
            songs[row[2], row[4]] += row[6]
    # a switch is counted between two plays of the window: the report reads the window alone
    plays_by_user: dict[int, list[tuple[datetime, int, str, str]]] = {}
    for play in expected_tables(source)["songplays"]:
        if in_window(play[1], DAY) and play[2] is not None:
            plays_by_user.setdefault(play[2], []).append((play[1], play[6], play[0], play[3]))
    switches = [
        (user, after[0], after[0].date(), before[3], after[3])
        for user, plays in plays_by_user.items()
        for before, after in pairwise(sorted(plays))
        if before[3] != after[3]
    ]

    found = report.read(connect(warehouse_url), DAY)

    assert found.plays == sum(row[4] for row in hours) > 0
    assert (found.free_plays, found.paid_plays) == (sum(row[6] for row in hours), sum(row[7] for row in hours))
    assert found.matched_plays == sum(row[8] for row in hours)
    assert (found.users_upgraded, found.users_downgraded) == (
        len({row[0] for row in switches if row[4] == "paid"}),
        len({row[0] for row in switches if row[4] == "free"}),
    )
    hour_counts: Counter[int] = Counter()
    for row in hours:
        hour_counts[row[2]] += row[4]
    assert found.plays_by_hour == dict(hour_counts)
    # the ten most played (ties broken by name, which collations order differently: compare the counts)
    assert [song.plays for song in found.top_songs] == sorted(songs.values(), reverse=True)[:10]
    assert all(songs[song.title, song.artist] == song.plays for song in found.top_songs)


def test_the_chart_draws_each_hour_as_a_bar_proportional_to_its_plays(warehouse_url: str) -> None:
    found = report.read(connect(warehouse_url), DAY)
    text = report.render(found)
    largest = max(found.plays_by_hour.values())
    for hour, plays in found.plays_by_hour.items():
        [line] = [line for line in text.splitlines() if line.startswith(f"| {hour:02d} | ")]
        assert line == f"| {hour:02d} | {plays:,} | {report.bar(plays, largest)} |"
    assert report.bar(largest, largest) == "█" * report.BAR_WIDTH
    assert report.bar(1, 2, width=3) == "█▌"
    assert report.bar(0, 2) == ""


def test_names_cannot_break_the_markdown_tables() -> None:
    song = report.RankedSong('Pipe | "Break"\nLine', None, False, 3)
    text = report.render(
        report.ListeningReport("all events", plays=3, free_plays=3, top_songs=[song], plays_by_hour={10: 3})
    )
    assert '| 1 | Pipe \\| "Break" Line | (unnamed) | no | 3 |' in text


def test_the_report_command_prints_the_report_of_a_window(warehouse_url: str, capsys: pytest.CaptureFixture) -> None:
    argv = ["report", "--warehouse", warehouse_url, "--window-start", "2018-11-04", "--window-end", "2018-11-05"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out == report.render(report.read(connect(warehouse_url), DAY))
    assert out.startswith("# Sparkify listening: [2018-11-04T00:00:00, 2018-11-05T00:00:00)")
    assert "## Plays by hour of day (UTC)" in out and "█" in out


def test_an_empty_window_says_so(warehouse_url: str, capsys: pytest.CaptureFixture) -> None:
    argv = ["report", "--warehouse", warehouse_url, "--window-start", "2030-01-01", "--window-end", "2030-01-02"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "No plays in this window" in out
    assert "|" not in out


def test_a_warehouse_without_marts_is_reported_as_such(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["report", "--warehouse", duckdb_url(tmp_path)]) == 1
    assert "cannot read the marts" in capsys.readouterr().err
