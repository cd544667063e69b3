"""No loaded play is lost: a source that goes missing or arrives broken never erases the warehouse.

A run replaces the facts of exactly the days it read a day file for; a day whose file is missing, empty or
unreadable keeps its facts, and the run says so (and fails once the file is missing past its threshold). A failed
check leaves nothing of the window visible; a song_id two song files give is settled by the file modified last,
whatever order the files arrived in. On DuckDB and PostgreSQL for real.
"""

from __future__ import annotations

import gzip
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from flows.etl.flow import sparkify_etl
from sparkify.errors import DataQualityError
from tests.support.factories import event, song, write_source
from tests.support.helpers import duckdb_url, rows, run_steps, star_contents

CATALOG = [song("SOX", "Song", artist_id="ARX", artist_name="Artist", duration=200.0)]
DAYS = (9, 10, 11)
#: Three days of plays, a dozen a day.
EVENTS = [
    event(f"2018-11-{day:02d}T{10 + item // 4:02d}:{item * 3:02d}:00.000", session_id=day, item=item)
    for day in DAYS
    for item in range(12)
]
DAY_10 = {"window_start": datetime(2018, 11, 10), "window_end": datetime(2018, 11, 11)}


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return write_source(tmp_path / "source", EVENTS, CATALOG)


def day_file(source: Path, day: int) -> Path:
    return source / "log_data" / "2018" / "11" / f"2018-11-{day:02d}-events.json"


def plays_per_day(url: str) -> dict[int, int]:
    found = rows(url, "SELECT start_time FROM songplays")
    counted: dict[int, int] = {}
    for (moment,) in found:
        counted[moment.day] = counted.get(moment.day, 0) + 1
    return counted


BROKEN = {
    "emptied": lambda data: b"",
    "deleted": None,
    "a JSON array": lambda data: json.dumps([json.loads(line) for line in data.splitlines()]).encode(),
    "not text": lambda data: bytes(range(256)) * 4,
    "zip": lambda data: b"PK\x03\x04" + data,
}


@pytest.mark.parametrize("damage", list(BROKEN))
def test_a_window_whose_day_file_went_missing_or_broken_keeps_its_plays_and_fails_naming_the_file(
    source: Path, url: str, damage: str
) -> None:
    run_steps(source, url)
    before = star_contents(url)
    path = day_file(source, 10)
    if BROKEN[damage] is None:
        path.unlink()
    else:
        path.write_bytes(BROKEN[damage](path.read_bytes()))

    with pytest.raises(DataQualityError) as failed:
        run_steps(source, url, **DAY_10)
    assert "delivered(songplays) error FAILED" in str(failed.value)
    assert "no readable file for 2018-11-10" in str(failed.value)
    assert star_contents(url) == before
    assert plays_per_day(url) == dict.fromkeys(DAYS, 12)


def test_a_gzip_day_file_under_its_json_name_is_read_as_gzip_and_replaces_the_same_plays(
    source: Path, url: str
) -> None:
    run_steps(source, url)
    before = star_contents(url)
    path = day_file(source, 10)
    path.write_bytes(gzip.compress(path.read_bytes()))
    run_steps(source, url, **DAY_10)
    assert star_contents(url) == before


def test_a_readable_day_file_replaces_its_days_plays_and_only_those(source: Path, url: str) -> None:
    run_steps(source, url)
    path = day_file(source, 10)
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(lines[:5]), encoding="utf-8")  # re-delivered with five plays
    run_steps(source, url, **DAY_10)
    assert plays_per_day(url) == {9: 12, 10: 5, 11: 12}


@pytest.mark.usefixtures("prefect_harness")
def test_a_full_load_after_a_day_file_expired_keeps_that_days_plays_and_says_so(tmp_path: Path, source: Path) -> None:
    url = duckdb_url(tmp_path)
    sparkify_etl(source=str(source), warehouse=url)
    day_file(source, 10).unlink()
    again = sparkify_etl(source=str(source), warehouse=url)
    # a full load judges whole tables, not a window's days: it completes, the day kept
    assert plays_per_day(url) == dict.fromkeys(DAYS, 12)
    assert again.songplays_loaded == 24


@pytest.mark.usefixtures("prefect_harness")
def test_a_backfill_over_a_day_whose_file_expired_keeps_its_facts_and_says_so(tmp_path: Path, source: Path) -> None:
    from flows.backfill import backfill

    url = duckdb_url(tmp_path)
    sparkify_etl(source=str(source), warehouse=url)
    day_file(source, 10).unlink()
    summary = backfill(
        concurrency=1, start=datetime(2018, 11, 9), end=datetime(2018, 11, 12), source=str(source), warehouse=url
    ).result()

    assert not summary.ok
    lines = "\n".join(summary.lines())
    assert "windows: 3 of one day: 2 ok, 0 without plays, 1 failed" in lines
    assert "failed: [2018-11-10T00:00:00, 2018-11-11T00:00:00)" in lines and "no readable file for 2018-11-10" in lines
    assert "without plays" not in lines.split("\n", 1)[1]
    assert plays_per_day(url) == dict.fromkeys(DAYS, 12)


def test_a_failed_check_leaves_nothing_of_the_window_visible(source: Path, url: str) -> None:
    run_steps(source, url, window_start=datetime(2018, 11, 9), window_end=datetime(2018, 11, 10))
    before = star_contents(url)
    ledger = rows(url, "SELECT source_object, object_identity, window_start FROM loaded_objects ORDER BY 1, 3")
    path = day_file(source, 10)
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    records[3]["level"] = "gold"
    path.write_text("\n".join(json.dumps(record) for record in records), encoding="utf-8")

    with pytest.raises(DataQualityError, match=r"accepted_values\(songplays.level in \{free, paid\}\) FAILED"):
        run_steps(source, url, **DAY_10)
    # neither the day's facts nor its dimensions nor its ledger row were committed
    assert star_contents(url) == before
    assert rows(url, "SELECT source_object, object_identity, window_start FROM loaded_objects ORDER BY 1, 3") == ledger
    # the failed run's results are kept all the same
    assert rows(url, "SELECT COUNT(*) FROM check_results WHERE NOT passed AND check_name LIKE 'accepted_values%'") == [
        (1,)
    ]


def song_files(root: Path, *entries: tuple[str, dict[str, Any], int]) -> None:
    """Song files with the given names, contents and modification times (seconds since the epoch)."""
    for name, entry, modified in entries:
        path = root / "song_data" / "Z" / f"{name}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(entry), encoding="utf-8")
        os.utime(path, (modified, modified))


EARLIER = song("SODUP", "First Title", artist_id="AR1", artist_name="Old Name", duration=111.0)
LATER = song("SODUP", "Second Title", artist_id="AR2", artist_name="New Name", duration=222.0, year=2001)


@pytest.mark.parametrize("arrival", ["together", "earlier first", "later first"])
def test_a_song_id_in_two_files_is_the_later_files_whatever_order_they_arrived_in(
    tmp_path: Path, url: str, arrival: str
) -> None:
    root = write_source(
        tmp_path / "source",
        [event("2018-11-09T10:00:00.000", song="Second Title", artist="New Name", length=222.0)],
        CATALOG,
    )
    a, b = ("TRA", EARLIER, 1_500_000_000), ("TRB", LATER, 1_600_000_000)
    files = {"together": [[a, b]], "earlier first": [[a], [b]], "later first": [[b], [a]]}[arrival]
    summaries = []
    for batch in files:
        song_files(root, *batch)
        summaries.append(run_steps(root, url))

    assert rows(url, "SELECT song_id, title, artist_id, year, duration FROM songs WHERE song_id = 'SODUP'") == [
        ("SODUP", "Second Title", "AR2", 2001, 222.0)
    ]
    # the play of the later file's song matches it, and the conflict is reported when both files are known
    assert rows(url, "SELECT song_id FROM songplays") == [("SODUP",)]
    conflicts = [line for summary in summaries for line in summary.song_id_conflicts]
    assert conflicts and all(
        line.startswith("SODUP: kept ") and line.split(" kept ")[1].startswith(str(root)) for line in conflicts
    )
    assert all("TRB.json, not " in line for line in conflicts)
