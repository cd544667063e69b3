"""Running unattended: every check's result kept in check_results, and the checks that watch the feed itself.

Freshness (the newest play against the window's end), delivery (a readable day file for every day the window
touches) and volume (the window's plays against the same window on the 7 days before) are judged with their
severities, on DuckDB and PostgreSQL for real; a quiet hour is no failure.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from sparkify import quality, steps
from sparkify.errors import DataQualityError
from sparkify.warehouse import connect
from tests.support.factories import event, song, write_source
from tests.support.helpers import rows, run_steps

CATALOG = [song("SOX", "Song", artist_id="ARX", artist_name="Artist", duration=200.0)]
#: Every day of eight, 30 plays between 10:00 and 11:00: a week of history before the 8th.
USUAL_PLAYS = 30


def plays_of(day: int, count: int, session: int) -> list[dict[str, Any]]:
    start = datetime(2018, 11, day, 10)
    return [
        event(
            (start + timedelta(seconds=60 * item)).isoformat(),
            user_id=str(10 + item % 5),
            session_id=session,
            item=item,
        )
        for item in range(count)
    ]


def week_then(last_day_plays: int) -> list[dict[str, Any]]:
    """Seven days of the usual hour, then the 8th day with ``last_day_plays`` in it (and a play at 20:00 each day)."""
    events = []
    for day in range(1, 9):
        events += plays_of(day, USUAL_PLAYS if day < 8 else last_day_plays, session=day * 100)
        events.append(event(f"2018-11-{day:02d}T20:00:00.000", user_id="9", session_id=day * 100 + 1))
    return events


def hour_of(day: int, hour: int = 10) -> dict[str, datetime]:
    return {"window_start": datetime(2018, 11, day, hour), "window_end": datetime(2018, 11, day, hour + 1)}


def results(url: str) -> list[tuple[Any, ...]]:
    return rows(url, "SELECT run_key, check_name, severity, passed FROM check_results ORDER BY checked_at, check_name")


def test_every_check_of_every_run_is_kept_and_a_rerun_adds_its_own(tmp_path: Path, url: str) -> None:
    source = write_source(tmp_path / "source", week_then(USUAL_PLAYS), CATALOG)
    run_steps(source, url)  # a full load: whole-table checks
    run_steps(source, url, **hour_of(8))
    run_steps(source, url, **hour_of(8))

    kept = results(url)
    runs = list(dict.fromkeys(run_key for run_key, *_ in kept))  # in the order they checked
    assert len(runs) == 3
    per_run = {run: [row[1:] for row in kept if row[0] == run] for run in runs}
    window_checks = sorted((check.name, check.severity) for check in quality.window_checks())
    catalog_checks = sorted((check.name, check.severity) for check in quality.catalog_checks())
    full_load = sorted((check.name, check.severity) for check in quality.table_checks(staged=True))
    assert sorted((name, severity) for name, severity, _ in per_run[runs[0]]) == sorted(catalog_checks + full_load)
    for run in runs[1:]:  # the same window twice: both runs' rows, neither rewritten
        assert sorted((name, severity) for name, severity, _ in per_run[run]) == window_checks
    assert all(passed for _, _, _, passed in kept)
    # the window and the time of each result
    windows = rows(url, "SELECT DISTINCT window_start, window_end FROM check_results ORDER BY window_start")
    assert (datetime(2018, 11, 8, 10), datetime(2018, 11, 8, 11)) in windows


def test_check_health_gives_each_checks_last_result_last_failure_and_runs_since(tmp_path: Path, url: str) -> None:
    source = write_source(tmp_path / "source", week_then(USUAL_PLAYS), CATALOG)
    run_steps(source, url, **hour_of(8))
    run_steps(source, url, **hour_of(8, 14))  # a quiet hour: its file is there, and freshness warns
    run_steps(source, url, **hour_of(8))

    warehouse = connect(url)
    health = {row["check_name"]: row for row in steps.check_health(warehouse)}
    warehouse.engine.dispose()
    stale = health["freshness(songplays.start_time) warn"]
    assert stale["last_passed"] is True and stale["last_failed_at"] is not None
    assert stale["runs_since_failure"] == 1
    unique = health["unique(songplays.songplay_id)"]
    assert (unique["last_passed"], unique["last_failed_at"], unique["runs_since_failure"]) == (True, None, 3)


def test_a_quiet_hour_with_its_file_completes_and_warns_of_freshness_only_when_plays_stop(
    tmp_path: Path, url: str
) -> None:
    source = write_source(tmp_path / "source", week_then(USUAL_PLAYS), CATALOG)
    run_steps(source, url, **hour_of(8))
    quiet = run_steps(source, url, **hour_of(8, 14))  # 14:00-15:00: no play, the last at 10:29
    assert quiet.songplays_loaded == 0
    assert [warning.split(" WARNING")[0] for warning in quiet.warnings] == ["freshness(songplays.start_time) warn"]


def test_a_stale_warehouse_fails_freshness_and_keeps_what_it_had(tmp_path: Path, url: str) -> None:
    source = write_source(tmp_path / "source", week_then(USUAL_PLAYS), CATALOG)
    run_steps(source, url, **hour_of(1))
    # the 3rd's file is there, but the warehouse's newest play is two days older than the window's end
    with pytest.raises(DataQualityError) as failed:
        run_steps(source, url, window_start=datetime(2018, 11, 3, 6), window_end=datetime(2018, 11, 3, 7))
    message = str(failed.value)
    assert message.startswith("[2018-11-03T06:00:00, 2018-11-03T07:00:00): ")
    assert "freshness(songplays.start_time) error FAILED" in message
    failed_run = rows(
        url,
        "SELECT check_name, passed FROM check_results WHERE check_name LIKE 'freshness%' AND window_start = :start "
        "ORDER BY check_name",
        start=datetime(2018, 11, 3, 6),
    )
    assert failed_run == [
        ("freshness(songplays.start_time) error", False),
        ("freshness(songplays.start_time) warn", False),
    ]


def test_a_missing_day_file_warns_within_its_grace_and_fails_past_it(
    tmp_path: Path, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = write_source(tmp_path / "source", week_then(USUAL_PLAYS), CATALOG)
    run_steps(source, url, **hour_of(8))
    (source / "log_data/2018/11/2018-11-08-events.json").unlink()

    monkeypatch.setenv("SPARKIFY_MISSING_FILE_ERROR_HOURS", str(10 * 365 * 24))
    within = run_steps(source, url, **hour_of(8))
    assert [warning.split(" WARNING")[0] for warning in within.warnings] == ["delivered(songplays) warn"]
    assert within.kept == ["kept 30 plays of 2018-11-08: no readable day file for it"]

    monkeypatch.setenv("SPARKIFY_MISSING_FILE_ERROR_HOURS", "6")
    with pytest.raises(DataQualityError, match=r"delivered\(songplays\) error FAILED.*no readable file for 2018-11-08"):
        run_steps(source, url, **hour_of(8))
    # the facts the file gave stay: deleting them would take an explicit `sparkify forget`
    assert rows(url, "SELECT COUNT(*) FROM songplays") == [(USUAL_PLAYS,)]


@pytest.mark.parametrize(("plays", "flagged"), [(USUAL_PLAYS, []), (3, ["volume(songplays) warn"])])
def test_a_window_with_a_tenth_of_its_usual_plays_is_flagged_and_a_usual_one_is_not(
    tmp_path: Path, url: str, plays: int, flagged: list[str]
) -> None:
    source = write_source(tmp_path / "source", week_then(plays), CATALOG)
    for day in range(1, 8):
        run_steps(source, url, window_start=datetime(2018, 11, day), window_end=datetime(2018, 11, day + 1))
    summary = run_steps(source, url, **hour_of(8))
    assert [warning.split(" WARNING")[0] for warning in summary.warnings if warning.startswith("volume")] == flagged
    (ratio,) = rows(
        url,
        "SELECT observed FROM check_results WHERE check_name = 'volume(songplays) warn' AND window_start = :start",
        start=datetime(2018, 11, 8, 10),
    )[0]
    assert ratio == pytest.approx(plays / USUAL_PLAYS)


def test_the_volume_check_is_skipped_until_there_is_history(tmp_path: Path, url: str) -> None:
    source = write_source(tmp_path / "source", week_then(3), CATALOG)
    summary = run_steps(source, url, **hour_of(8))
    assert not [warning for warning in summary.warnings if warning.startswith("volume")]
    assert rows(url, "SELECT observed, passed FROM check_results WHERE check_name LIKE 'volume%'") == [
        (None, True),
        (None, True),
    ]
