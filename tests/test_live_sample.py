"""The demo sample as a live feed: scheduled runs find their hour, day files are deterministic and written once,
only into the demo source, and read like days of the sample."""

from __future__ import annotations

import collections
import datetime as dt
import hashlib
import itertools
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from flows.etl.flow import sparkify_etl
from sparkify import steps
from sparkify.sample import DEMO, day_events, ensure_days, ensure_sample, generate, generator
from sparkify.sample.live import SESSION_IDS_PER_DAY, first_live_day
from sparkify.settings import SAMPLE_SOURCE
from sparkify.window import Window, floor
from tests.support.helpers import duckdb_url, rows, star_contents

REPO = Path(__file__).resolve().parents[1]
#: Consecutive live days read with the sample, for what must hold across days (levels, session ids).
LIVE_SPAN = 10


def day_file(root: Path, day: dt.date) -> Path:
    return root / "log_data" / f"{day:%Y}" / f"{day:%m}" / f"{day:%Y-%m-%d}-events.json"


def tree(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``root``: its bytes and modification time (a rewrite with the same bytes changes it)."""
    return {
        str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(root.rglob("*")) if p.is_file()
    }


def events_of(data: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in data.decode("ascii").split("\n")]


def utc(ts: int) -> datetime:
    return datetime.fromtimestamp(ts / 1000, tz=UTC).replace(tzinfo=None)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo sample as ``data/sample`` is generated on first use."""
    root = tmp_path_factory.mktemp("demo") / "sample"
    ensure_sample(root)
    return root


# --------------------------------------------------------------------------- a scheduled run of the shipped default


@pytest.mark.usefixtures("prefect_harness")
def test_a_scheduled_run_of_the_demo_loads_the_hour_that_just_ended_and_a_second_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As the deployment's schedule runs it (``interval="hour"``, now), with its default source, generated here."""
    monkeypatch.chdir(tmp_path)
    url = duckdb_url(tmp_path)
    before = datetime.now(UTC)
    state = sparkify_etl(source=SAMPLE_SOURCE, warehouse=url, interval="hour", return_state=True)
    assert state.is_completed(), state.message
    [(start, end)] = rows(url, "SELECT DISTINCT window_start, window_end FROM check_results")
    assert end in {floor(before, "hour"), floor(datetime.now(UTC), "hour")} and end - start == timedelta(hours=1)

    root = tmp_path / SAMPLE_SOURCE
    path = day_file(root, start.date())
    assert path.is_file()
    # the hour's plays, counted from the file, are the facts loaded: never none
    plays = [e for e in events_of(path.read_bytes()) if e["page"] == "NextSong" and start <= utc(e["ts"]) < end]
    assert plays
    assert rows(url, "SELECT COUNT(*) FROM songplays") == [(len(plays),)]
    # every error-level check passed (freshness and delivery included), and nothing warned
    checks = rows(url, "SELECT check_name, severity, passed, detail FROM check_results")
    assert {name for name, *_ in checks} >= {"freshness(songplays.start_time) error", "delivered(songplays) error"}
    assert [detail for _, severity, passed, detail in checks if not passed] == []
    # the sample's own days are as generated, the live day beside them
    assert len(list((root / "log_data" / "2018" / "11").iterdir())) == DEMO.days

    files, contents = tree(root), star_contents(url)
    again = sparkify_etl(source=SAMPLE_SOURCE, warehouse=url, window_start=start, window_end=end, return_state=True)
    assert again.is_completed(), again.message
    assert tree(root) == files
    assert star_contents(url) == contents


# --------------------------------------------------------------------------- determinism, and where files are written


HASH_OF_A_DAY = """
import datetime, hashlib, sys
from sparkify.sample import day_events
print(hashlib.sha256(day_events(datetime.date.fromisoformat(sys.argv[1]))).hexdigest())
"""


def test_a_day_file_is_the_same_bytes_whichever_run_made_it(tmp_path: Path) -> None:
    today = datetime.now(UTC).date()
    one, other = tmp_path / "one", tmp_path / "other"
    for root in (one, other):
        generate(root, DEMO)
    assert ensure_days(one, [today], today=today) == [day_file(one, today)]
    # another run, another order, other days first, nothing cached
    generator.replay.cache_clear()
    days = [today + timedelta(days=1), today - timedelta(days=3), today]
    assert ensure_days(other, days, today=today) == [day_file(other, day) for day in days]
    assert day_file(one, today).read_bytes() == day_file(other, today).read_bytes() == day_events(today)
    # another process, another hash seed: nothing depends on the order of a set
    result = subprocess.run(
        [sys.executable, "-c", HASH_OF_A_DAY, today.isoformat()],
        cwd=REPO,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == hashlib.sha256(day_events(today)).hexdigest()
    # a file already there is never written again, even with the same bytes
    written = tree(one)
    assert ensure_days(one, [today], today=today) == []
    assert tree(one) == written
    # the days are their own: one day's file is no other's
    assert day_events(today) != day_events(today - timedelta(days=7))


def test_files_are_written_only_into_the_demo_source_and_only_for_live_days(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    now = datetime.now(UTC).replace(tzinfo=None)
    hour = Window(floor(now, "hour") - timedelta(hours=1), floor(now, "hour"))
    # `make run`: a full load generates the sample, November 2018 alone
    steps.prepare_source(SAMPLE_SOURCE, window=Window.everything())
    root = tmp_path / SAMPLE_SOURCE
    generated = tree(tmp_path)
    november = sorted(p.name for p in (root / "log_data").rglob("*.json"))
    assert november == [f"2018-11-{day:02d}-events.json" for day in range(1, 31)]

    # the same sample anywhere else is another source: never written to
    elsewhere = tmp_path / "copy"
    generate(elsewhere, DEMO)
    copied = tree(elsewhere)
    steps.prepare_source(str(elsewhere), window=hour)
    assert tree(elsewhere) == copied
    # windows that ask for no live day, or runs that read other files than the sample's
    for window in (None, Window.everything(), Window(dt.datetime(2018, 11, 5), dt.datetime(2018, 11, 6))):
        steps.prepare_source(SAMPLE_SOURCE, window=window)
    steps.prepare_source(SAMPLE_SOURCE, events_format="csv", window=hour)
    later = now + timedelta(days=3)  # past tomorrow, even if the day turns meanwhile
    steps.prepare_source(SAMPLE_SOURCE, window=Window(floor(later, "day"), floor(later, "day") + timedelta(days=3)))
    assert ensure_days(tmp_path / "nothing", [hour.start.date()]) == []
    assert not (tmp_path / "nothing").exists()
    assert tree(tmp_path) == {**generated, **{f"copy/{key}": value for key, value in copied.items()}}

    # a window of the hour that just ended: its day's file, nothing else (no temporary file left)
    steps.prepare_source(SAMPLE_SOURCE, window=hour)
    added = tree(tmp_path).keys() - generated.keys() - {f"copy/{key}" for key in copied}
    assert added == {str(day_file(Path(SAMPLE_SOURCE), hour.start.date()))}
    # up to tomorrow, from the day after the sample's
    first = first_live_day()
    assert first == dt.date(2018, 12, 1)
    window = Window(dt.datetime(2018, 11, 30, 23), dt.datetime(2018, 12, 1, 1))
    steps.prepare_source(SAMPLE_SOURCE, window=window)
    assert day_file(root, first).is_file()
    with pytest.raises(ValueError, match="one of the sample's own days"):
        day_events(dt.date(2018, 11, 30))


# --------------------------------------------------------------------------- live days read like the sample's


@pytest.fixture(scope="module")
def live(demo: Path) -> list[dict[str, Any]]:
    """The sample's events followed by those of its first live days."""
    days = [first_live_day() + timedelta(days=i) for i in range(LIVE_SPAN)]
    ensure_days(demo, days)
    return [e for path in sorted((demo / "log_data").rglob("*.json")) for e in events_of(path.read_bytes())]


def test_live_days_are_days_of_the_sample_with_plays_in_every_hour(demo: Path, live: list[dict[str, Any]]) -> None:
    first = first_live_day()
    by_day = collections.defaultdict(list)
    for event in live:
        by_day[utc(event["ts"]).date()].append(event)
    sample_plays = [sum(e["page"] == "NextSong" for e in by_day[first - timedelta(days=i + 1)]) for i in range(30)]
    for offset in range(LIVE_SPAN):
        events = by_day[first + timedelta(days=offset)]
        plays = [e for e in events if e["page"] == "NextSong"]
        # about a day of the sample's plays, each hour with some: a quiet hour is a real one, not the generator's
        assert min(sample_plays) * 0.8 <= len(plays) <= max(sample_plays) * 1.2
        assert {utc(e["ts"]).hour for e in plays} == set(range(24))
    # plays match the catalog as often as the sample's
    catalog = {(s["title"], s["artist_name"], s["duration"]) for s in map(json.loads, _song_texts(demo))}
    plays = [e for e in live if e["page"] == "NextSong" and utc(e["ts"]).date() >= first]
    matched = sum((e["song"], e["artist"], e["length"]) in catalog for e in plays) / len(plays)
    assert abs(matched - generator.MATCHED_SHARE) < 0.05
    # the sample's users: the same profile as in the sample, registered before it, no more of them than it has
    profiles = collections.defaultdict(set)
    for event in live:
        if event["userId"]:
            fields = ("firstName", "lastName", "gender", "location", "registration", "userAgent")
            profiles[event["userId"]].add(tuple(event[key] for key in fields))
    assert all(len(profile) == 1 for profile in profiles.values())
    assert len(profiles) <= DEMO.users
    assert all(utc(e["registration"]).date() < DEMO.start for e in plays)
    # each event once: a session id belongs to one day
    identities = collections.Counter((e["userId"], e["sessionId"], e["itemInSession"]) for e in live)
    assert identities.most_common(1)[0][1] == 1
    sessions = {utc(e["ts"]).date(): set() for e in live}
    for event in live:
        sessions[utc(event["ts"]).date()].add(event["sessionId"])
    for earlier, later in itertools.pairwise(sorted(sessions)):
        assert max(sessions[earlier]) < min(sessions[later])
    assert max(sessions[first]) < min(sessions[first]) + SESSION_IDS_PER_DAY


def test_levels_change_only_through_a_submit_across_the_sample_and_its_live_days(live: list[dict[str, Any]]) -> None:
    by_user = collections.defaultdict(list)
    for event in live:
        if event["userId"]:
            by_user[event["userId"]].append(event)
    switches = {"Submit Upgrade": ("free", "paid"), "Submit Downgrade": ("paid", "free")}
    seen = collections.Counter()
    for events in by_user.values():
        events.sort(key=lambda e: (e["ts"], e["sessionId"], e["itemInSession"]))
        for event, following in itertools.pairwise(events):
            if event["level"] != following["level"]:
                assert switches.get(event["page"]) == (event["level"], following["level"]), (event, following)
                seen[utc(following["ts"]).date() >= first_live_day()] += 1
    # and they keep switching after the sample, about as often
    assert seen[True] >= LIVE_SPAN / 2 and seen[False]


def test_the_command_generates_a_source(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["--out", str(out), "--events", "40", "--days", "2", "--songs", "5", "--users", "3"]
    result = subprocess.run([sys.executable, "-m", "sparkify.sample", *args], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "40 events" in result.stdout
    assert len(list((out / "log_data").rglob("*.json"))) == 2


def _song_texts(root: Path) -> list[str]:
    return [path.read_text(encoding="utf-8") for path in sorted((root / "song_data").rglob("*.json"))]
