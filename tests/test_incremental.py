"""Incremental ingestion: the ledger of loaded files, the catalog read only when it changes, late data loaded.

Every expected fact is computed here from the records written to the files (a play matches the catalog
entry with its title, artist name and duration, the lowest song_id winning), never read back from the
pipeline. Runs on DuckDB and PostgreSQL, from a folder and from moto's S3.
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bench.services import PostgresServer, PrefectServer, S3Server, create_database, downloads, s3_client, upload_tree
from flows.etl.flow import RunSummary, sparkify_etl
from sparkify.sources import LocalSource
from tests.support import flow_runs
from tests.support.factories import event, song, write_source
from tests.support.helpers import duckdb_url, rows, star_contents
from tests.support.samples import new_bucket, use_s3

CATALOG = [
    song("SOAAA", "Alpha", artist_id="ARA", artist_name="Ann", duration=200.5),
    song("SOBBB", "Beta", artist_id="ARB", artist_name="Bob", duration=180.25),
    # the same recording under a higher id: SOAAA keeps winning
    song("SOZZZ", "Alpha", artist_id="ARA", artist_name="Ann", duration=200.5),
]
#: A song that reaches the catalog after some of its plays were loaded.
LATE_SONG = song("SOCCC", "Gamma", artist_id="ARC", artist_name="Cy", duration=150.75)


def play(ts: str, item: int, entry: dict[str, Any] | None, session: int = 100) -> dict[str, Any]:
    """A NextSong event naming ``entry``'s title, artist and duration (or a song no catalog has)."""
    if entry is None:
        return event(ts, session_id=session, item=item, song="Nowhere", artist="Nobody", length=1.5)
    return event(
        ts, session_id=session, item=item, song=entry["title"], artist=entry["artist_name"], length=entry["duration"]
    )


EVENTS = [
    play("2018-11-01T10:01:00.000", 0, CATALOG[0]),
    play("2018-11-01T10:02:00.000", 1, LATE_SONG),
    play("2018-11-01T10:03:00.000", 2, None),
    play("2018-11-01T11:01:00.000", 3, CATALOG[1]),
    play("2018-11-01T11:02:00.000", 4, LATE_SONG),
    play("2018-11-01T12:01:00.000", 5, CATALOG[0]),
    play("2018-11-01T13:01:00.000", 6, CATALOG[1]),
    play("2018-11-05T10:01:00.000", 0, CATALOG[1], session=500),
]
#: Events of 2018-11-01 10:00-11:00 that reach that day's file after its hour was loaded.
LATE_EVENTS = [
    play("2018-11-01T10:30:00.000", 0, CATALOG[1], session=101),
    play("2018-11-01T10:31:00.000", 1, LATE_SONG, session=101),
]


def hour(day: int, start: int) -> tuple[datetime, datetime]:
    return datetime(2018, 11, day, start), datetime(2018, 11, day, start + 1)


def load(source: str, url: str, window: tuple[datetime, datetime], **options: Any) -> RunSummary:
    return sparkify_etl(source=source, warehouse=url, window_start=window[0], window_end=window[1], **options)


def window_text(window: tuple[datetime, datetime]) -> str:
    return f"[{window[0].isoformat()}, {window[1].isoformat()})"


def expected_facts(
    events: list[dict[str, Any]], catalog: list[dict[str, Any]], windows: list[tuple[datetime, datetime]]
) -> list[tuple[Any, ...]]:
    """The plays of ``windows``, each matched to the lowest song_id with its title, artist name and duration."""
    winners: dict[tuple[str, str, float], tuple[str, str]] = {}
    for entry in sorted(catalog, key=lambda entry: entry["song_id"]):
        winners.setdefault(
            (entry["title"], entry["artist_name"], entry["duration"]), (entry["song_id"], entry["artist_id"])
        )
    facts = []
    for record in events:
        start = datetime(1970, 1, 1) + timedelta(milliseconds=record["ts"])
        if record["page"] == "NextSong" and any(low <= start < high for low, high in windows):
            song_id, artist_id = winners.get((record["song"], record["artist"], record["length"]), (None, None))
            facts.append((start, int(record["userId"]), song_id, artist_id, record["song"]))
    return sorted(facts, key=str)


def facts(url: str) -> list[tuple[Any, ...]]:
    return sorted(rows(url, "SELECT start_time, user_id, song_id, artist_id, song_title FROM songplays"), key=str)


def add_song(root: Path, entry: dict[str, Any]) -> None:
    path = root / "song_data" / "L" / "A" / "T" / f"{entry['song_id']}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(entry), encoding="utf-8")


def catalog_file(root: Path, index: int) -> Path:
    """Where ``write_source`` put the catalog's ``index``-th entry."""
    return root / "song_data" / "A" / "B" / "C" / f"TRABC{index:013d}.json"


def rewrite_in_place(path: Path, entry: dict[str, Any]) -> None:
    """The same file truncated and written again: its folder does not change."""
    path.write_text(json.dumps(entry), encoding="utf-8")


def replace_file(path: Path, entry: dict[str, Any]) -> None:
    """Written aside, then renamed over the old file, as rsync and ``aws s3 sync`` do: its folder changes."""
    aside = path.with_name(f".{path.name}.partial")
    aside.write_text(json.dumps(entry), encoding="utf-8")
    aside.replace(path)


def song_years(root: Path) -> list[tuple[str, int | None]]:
    """Each song file's song_id and year as the songs table should hold it (year 0 is unknown)."""
    entries = (json.loads(path.read_text(encoding="utf-8")) for path in (root / "song_data").rglob("*.json"))
    return sorted((entry["song_id"], entry["year"] or None) for entry in entries)


def append_events(root: Path, records: list[dict[str, Any]]) -> Path:
    """Late events appended to their day's file, as the app keeps writing it."""
    path = root / "log_data" / "2018" / "11" / "2018-11-01-events.json"
    with path.open("a", encoding="utf-8") as file:
        for record in records:
            file.write("\n" + json.dumps(record, separators=(",", ":")))
    return path


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return write_source(tmp_path / "source", EVENTS, CATALOG)


@pytest.mark.usefixtures("prefect_harness")
def test_an_unchanged_rerun_reads_no_song_file(source: Path, url: str) -> None:
    first = load(str(source), url, hour(1, 10))
    assert (first.staged_songs, first.objects["songs"]) == (3, {"new": 3, "changed": 0, "unchanged": 0})

    # garbage of the same size and modification time: read, it would be rejected
    song_file = next((source / "song_data").rglob("*.json"))
    status = song_file.stat()
    song_file.write_bytes(b"{" * status.st_size)
    os.utime(song_file, ns=(status.st_atime_ns, status.st_mtime_ns))

    again = load(str(source), url, hour(1, 11))
    assert (again.staged_songs, again.rejected_songs) == (0, 0)
    assert again.objects["songs"] == {"new": 0, "changed": 0, "unchanged": 3}
    assert rows(url, "SELECT COUNT(*) FROM rejected_records") == [(0,)]
    assert facts(url) == expected_facts(EVENTS, CATALOG, [hour(1, 10), hour(1, 11)])
    day_events = sum(record["ts"] < EVENTS[-1]["ts"] for record in EVENTS)  # all but Nov 5's
    # the day file once per hour loaded from it, each time staged whole; each song file once
    assert rows(url, "SELECT feed, COUNT(*), SUM(rows_staged) FROM loaded_objects GROUP BY feed ORDER BY feed") == [
        ("events", 2, 2 * day_events),
        ("songs", 4, 3),  # and the listing of song_data/ as a whole
    ]


@pytest.mark.usefixtures("prefect_harness")
def test_a_new_song_file_is_staged_alone_and_its_earlier_plays_get_matched(source: Path, url: str) -> None:
    load(str(source), url, hour(1, 10))
    assert facts(url) == expected_facts(EVENTS, CATALOG, [hour(1, 10)])  # the late song's play unmatched

    add_song(source, LATE_SONG)
    summary = load(str(source), url, hour(1, 12))

    assert summary.staged_songs == 1
    assert summary.objects["songs"] == {"new": 1, "changed": 0, "unchanged": 3}
    assert summary.plays_rematched == 1  # the hour-10 play of Gamma, loaded before the song was known
    assert facts(url) == expected_facts(EVENTS, [*CATALOG, LATE_SONG], [hour(1, 10), hour(1, 12)])
    assert rows(url, "SELECT song_id, artist_id FROM songs WHERE song_id = 'SOCCC'") == [("SOCCC", "ARC")]
    assert rows(url, "SELECT artist_id, name FROM artists WHERE artist_id = 'ARC'") == [("ARC", "Cy")]


def test_a_local_catalogs_listing_changes_when_a_song_file_is_added_replaced_or_removed(
    source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local = LocalSource(source)
    listed = local.song_listing()
    assert listed == local.song_listing()
    assert listed.count == len(CATALOG)
    keys = [f"song_data/A/B/C/TRABC{index:013d}.json" for index in range(len(CATALOG))]
    assert [song.key for song in listed.objects()] == keys
    monkeypatch.chdir(source)  # a source given as "." names its files alike
    assert LocalSource(Path(".")).song_listing() == listed
    assert [song.key for song in LocalSource(Path(".")).song_objects()] == keys

    rewrite_in_place(catalog_file(source, 0), {**CATALOG[0], "year": 1999})
    assert local.song_listing() == listed  # no folder changed: no file was looked at

    changes = {
        "added": lambda: add_song(source, LATE_SONG),
        "replaced": lambda: replace_file(catalog_file(source, 1), {**CATALOG[1], "year": 2001}),
        "removed": lambda: catalog_file(source, 2).unlink(),
    }
    for change, make in changes.items():
        make()
        now = local.song_listing()
        assert now.identity != listed.identity, change
        assert now.count == len(list((source / "song_data").rglob("*.json")))
        listed = now


@pytest.mark.usefixtures("prefect_harness")
def test_a_replaced_song_file_is_staged_again_and_one_rewritten_in_place_when_a_folder_next_changes(
    source: Path, url: str
) -> None:
    load(str(source), url, hour(1, 10))
    rewrite_in_place(catalog_file(source, 0), {**CATALOG[0], "year": 1999})

    unnoticed = load(str(source), url, hour(1, 11))
    assert (unnoticed.staged_songs, unnoticed.objects["songs"]) == (0, {"new": 0, "changed": 0, "unchanged": 3})
    loaded_years = [(entry["song_id"], None) for entry in CATALOG]  # as loaded, before the rewrite
    assert rows(url, "SELECT song_id, year FROM songs ORDER BY song_id") == loaded_years

    replace_file(catalog_file(source, 1), {**CATALOG[1], "year": 2001})
    later = load(str(source), url, hour(1, 12))
    # the folder's change has every file compared with the ledger: the one rewritten in place too
    assert (later.staged_songs, later.objects["songs"]) == (2, {"new": 0, "changed": 2, "unchanged": 1})
    assert rows(url, "SELECT song_id, year FROM songs ORDER BY song_id") == song_years(source)
    assert facts(url) == expected_facts(EVENTS, CATALOG, [hour(1, 10), hour(1, 11), hour(1, 12)])


@pytest.mark.usefixtures("prefect_harness")
def test_late_events_are_loaded_by_a_later_run_within_the_lookback_and_only_once(source: Path, url: str) -> None:
    load(str(source), url, hour(1, 10))
    append_events(source, LATE_EVENTS)
    everything = [*EVENTS, *LATE_EVENTS]

    later = load(str(source), url, hour(1, 11))
    assert later.reloaded_windows == [window_text(hour(1, 10))]
    assert later.objects["events"] == {"new": 0, "changed": 1, "unchanged": 0}
    assert facts(url) == expected_facts(everything, CATALOG, [hour(1, 10), hour(1, 11)])
    late_times = [datetime(2018, 11, 1, 10, 30), datetime(2018, 11, 1, 10, 31)]
    assert rows(
        url, "SELECT start_time FROM time WHERE start_time IN (:a, :b) ORDER BY 1", a=late_times[0], b=late_times[1]
    ) == [(moment,) for moment in late_times]

    another = load(str(source), url, hour(1, 12))
    assert another.reloaded_windows == []
    assert facts(url) == expected_facts(everything, CATALOG, [hour(1, 10), hour(1, 11), hour(1, 12)])


@pytest.mark.parametrize("reload", ["full_refresh", "backfill"])
@pytest.mark.usefixtures("prefect_harness")
def test_a_file_changed_outside_the_lookback_is_left_alone_until_a_full_refresh_or_a_backfill(
    source: Path, url: str, reload: str
) -> None:
    load(str(source), url, hour(1, 10))
    append_events(source, LATE_EVENTS)

    four_days_later = load(str(source), url, hour(5, 10))  # looks back at Nov 3 and 4 only
    assert four_days_later.reloaded_windows == []
    assert facts(url) == expected_facts(EVENTS, CATALOG, [hour(1, 10), hour(5, 10)])

    if reload == "full_refresh":
        refreshed = load(str(source), url, hour(5, 10), full_refresh=True)
        assert refreshed.reloaded_windows == [window_text(hour(1, 10))]
        assert refreshed.staged_songs == 3  # the catalog read whole again
    else:
        load(str(source), url, hour(1, 10))
    assert facts(url) == expected_facts([*EVENTS, *LATE_EVENTS], CATALOG, [hour(1, 10), hour(5, 10)])
    assert load(str(source), url, hour(1, 11)).reloaded_windows == []  # the ledger now has the file as it is


@pytest.mark.usefixtures("prefect_harness")
def test_from_s3_only_new_song_objects_are_downloaded_and_late_data_is_loaded(
    tmp_path: Path, s3_server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_source(tmp_path / "source", EVENTS, CATALOG)
    use_s3(s3_server, monkeypatch)
    bucket = new_bucket()
    upload_tree(s3_server, bucket, "feeds", root)
    uri, url = f"s3://{bucket}/feeds", duckdb_url(tmp_path)

    with downloads() as first:
        load(uri, url, hour(1, 10))
    assert sum(key.startswith("feeds/song_data/") for key in first) == 3

    with downloads() as unchanged:
        summary = load(uri, url, hour(1, 11))
    assert [key for key in unchanged if "/song_data/" in key] == []
    assert summary.objects["songs"] == {"new": 0, "changed": 0, "unchanged": 3}

    add_song(root, LATE_SONG)
    day_file = append_events(root, LATE_EVENTS)
    client = s3_client(s3_server)
    client.upload_file(str(day_file), bucket, f"feeds/{day_file.relative_to(root).as_posix()}")
    client.upload_file(str(root / "song_data/L/A/T/SOCCC.json"), bucket, "feeds/song_data/L/A/T/SOCCC.json")

    with downloads() as late:
        summary = load(uri, url, hour(1, 12))
    assert [key for key in late if "/song_data/" in key] == ["feeds/song_data/L/A/T/SOCCC.json"]
    assert summary.reloaded_windows == [window_text(hour(1, 10)), window_text(hour(1, 11))]
    assert summary.plays_rematched == 2  # Gamma's plays at 10:02 and 11:02, before their hours are reloaded
    windows = [hour(1, 10), hour(1, 11), hour(1, 12)]
    assert facts(url) == expected_facts([*EVENTS, *LATE_EVENTS], [*CATALOG, LATE_SONG], windows)


def test_three_windows_at_once_give_what_they_give_in_turn_with_a_new_song_and_late_events(
    tmp_path: Path, pg_url: str, postgres: PostgresServer, prefect_api: PrefectServer
) -> None:
    root = write_source(tmp_path / "source", EVENTS, CATALOG)
    in_turn = create_database(postgres, f"in_turn_{uuid.uuid4().hex[:8]}")
    windows = [hour(1, 11), hour(1, 12), hour(1, 13)]

    def run(url: str, window: tuple[datetime, datetime]) -> Any:
        bounds = ["--window-start", window[0].isoformat(), "--window-end", window[1].isoformat()]
        return flow_runs.start(prefect_api, "--source", str(root), "--warehouse", url, *bounds)

    for url in (in_turn, pg_url):
        flow_runs.finish(run(url, hour(1, 10)))
    add_song(root, LATE_SONG)
    append_events(root, LATE_EVENTS)

    for window in windows:
        flow_runs.finish(run(in_turn, window))
    for process in [run(pg_url, window) for window in windows]:
        flow_runs.finish(process)

    expected = star_contents(in_turn)
    assert star_contents(pg_url) == expected
    everything = [*EVENTS, *LATE_EVENTS]
    assert facts(pg_url) == expected_facts(everything, [*CATALOG, LATE_SONG], [hour(1, 10), *windows])
    ledger = (
        "SELECT feed, source_object, object_identity, window_start, window_end, rows_staged, rows_rejected "
        "FROM loaded_objects ORDER BY 1, 2, 4"
    )
    assert rows(pg_url, ledger) == rows(in_turn, ledger)
    assert rows(pg_url, "SELECT COUNT(*) FROM song_catalog") == [(len(CATALOG) + 1,)]
