"""Tests of the sample-data generator: format, determinism, realism, API and CLI."""

from __future__ import annotations

import collections
import datetime as dt
import itertools
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from sparkify.sample import generator
from sparkify.sample.generator import (
    EVENT_KEYS,
    MATCHED_SHARE,
    PAGES,
    SONG_KEYS,
    GeneratedSource,
    GeneratorConfig,
    ensure_sample,
    generate,
    main,
)
from tests.support.samples import REAL_SAMPLE

CONFIG = GeneratorConfig(events=6_000, songs=300, users=40, days=6, start=dt.date(2018, 11, 28), seed=7)
_EPOCH = dt.date(1970, 1, 1)


@dataclass(frozen=True)
class Source:
    """A generated (or real) source folder, read back once."""

    root: Path
    result: GeneratedSource | None
    event_files: dict[Path, str]  # raw text per event file
    events: list[dict[str, Any]]
    song_files: dict[Path, str]  # raw text per song file
    songs: list[dict[str, Any]]


def _read(root: Path, result: GeneratedSource | None = None) -> Source:
    event_files = {p: p.read_text(encoding="utf-8") for p in sorted((root / "log_data").rglob("*.json"))}
    song_files = {p: p.read_text(encoding="utf-8") for p in sorted((root / "song_data").rglob("*.json"))}
    events = [json.loads(line) for text in event_files.values() for line in text.split("\n") if text]
    songs = [json.loads(text) for text in song_files.values()]
    return Source(root, result, event_files, events, song_files, songs)


def _encode_event(event: dict[str, Any]) -> str:
    """How an event line is written: compact JSON, ASCII only, ``/`` escaped."""
    return json.dumps(event, separators=(",", ":")).replace("/", "\\/")


def _encodings_of_song(song: dict[str, Any]) -> tuple[str, str]:
    """The two ways a song file is written: one line, or indented with a newline."""
    return json.dumps(song), json.dumps(song, indent=2) + "\n"


def _tree_bytes(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _types(records: list[dict[str, Any]]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = collections.defaultdict(set)
    for record in records:
        for key, value in record.items():
            found[key].add(type(value).__name__)
    return found


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Source:
    root = tmp_path_factory.mktemp("source")
    return _read(root, generate(root, CONFIG))


@pytest.fixture(scope="module")
def real() -> Source:
    if not REAL_SAMPLE.is_dir():
        pytest.skip(f"real Udacity sample not found at {REAL_SAMPLE}")
    return _read(REAL_SAMPLE)


# --- determinism and counts -------------------------------------------------


def test_same_config_gives_identical_bytes_other_seed_differs(tmp_path: Path, source: Source) -> None:
    again = tmp_path / "again"
    generate(again, CONFIG)
    assert _tree_bytes(again) == _tree_bytes(source.root)

    other = tmp_path / "other"
    generate(other, replace(CONFIG, seed=CONFIG.seed + 1))
    other_tree, tree = _tree_bytes(other), _tree_bytes(source.root)
    assert other_tree.keys() != tree.keys()
    assert [p for p in other_tree if p.startswith("log_data")] == [p for p in tree if p.startswith("log_data")]
    assert all(other_tree[p] != tree[p] for p in tree if p.startswith("log_data"))


def test_counts_are_exact_and_reported(source: Source) -> None:
    result = source.result
    assert result is not None
    assert len(source.events) == CONFIG.events == result.events
    assert len(source.songs) == CONFIG.songs == result.song_files
    assert len(source.event_files) == CONFIG.days == result.event_files
    assert result.nextsong_events == sum(e["page"] == "NextSong" for e in source.events)
    on_disk = sum(p.stat().st_size for p in source.root.rglob("*.json"))
    assert result.bytes_written == on_disk


def test_event_total_is_exact_when_days_outnumber_events(tmp_path: Path) -> None:
    config = GeneratorConfig(events=7, songs=2, users=1, days=10)
    result = generate(tmp_path, config)
    lines = [p.read_text().split("\n") for p in (tmp_path / "log_data").rglob("*.json")]
    assert sum(map(len, lines)) == 7 == result.events
    assert result.event_files == len(lines) <= 7


def test_user_busier_than_a_day_stays_inside_it(tmp_path: Path) -> None:
    # ~1,500 plays of ~4 minutes cannot fit one user's day: sessions get squeezed.
    generate(tmp_path, GeneratorConfig(events=1_500, songs=5, users=1, days=1))
    (path,) = (tmp_path / "log_data").rglob("*.json")
    events = [json.loads(line) for line in path.read_text().split("\n")]
    day_start = (GeneratorConfig().start - _EPOCH).days * 86_400_000
    stamps = [e["ts"] for e in events]
    assert stamps == sorted(stamps) and day_start <= stamps[0] and stamps[-1] < day_start + 86_400_000
    keys = {(e["userId"], e["sessionId"], e["itemInSession"]) for e in events}
    assert len(keys) == len(events) == 1_500


# --- format ------------------------------------------------------------------


def test_layout_matches_the_bucket(source: Source) -> None:
    for path in source.song_files:
        track = path.stem
        assert len(track) == 18 and track.startswith("TR")
        assert path.relative_to(source.root).parts[:4] == ("song_data", track[2], track[3], track[4])
    days = [CONFIG.start + dt.timedelta(days=i) for i in range(CONFIG.days)]
    expected = [source.root / "log_data" / f"{d:%Y}" / f"{d:%m}" / f"{d:%Y-%m-%d}-events.json" for d in days]
    assert sorted(source.event_files) == sorted(expected)


def test_event_lines_are_compact_escaped_json_in_key_order(source: Source) -> None:
    for text in source.event_files.values():
        assert text.isascii()
        assert not text.endswith("\n")
        for line in text.split("\n"):
            event = json.loads(line)
            assert tuple(event) == EVENT_KEYS
            assert line == _encode_event(event)
    assert any("\\/" in text for text in source.event_files.values())
    assert any("\\u" in text for text in source.event_files.values())


def test_song_files_are_one_line_or_pretty_in_key_order(source: Source) -> None:
    one_line = 0
    for text in source.song_files.values():
        song = json.loads(text)
        assert tuple(song) == SONG_KEYS
        compact, pretty = _encodings_of_song(song)
        assert text in (compact, pretty)
        one_line += text == compact
    assert 0 < one_line < len(source.song_files)


def test_conformance_with_real_sample(source: Source, real: Source) -> None:
    # The encoding rules reproduce the real files byte for byte ...
    for text in real.event_files.values():
        assert not text.endswith("\n")
        assert all(line == _encode_event(json.loads(line)) for line in text.split("\n"))
    for text in real.song_files.values():
        assert text in _encodings_of_song(json.loads(text))
    # ... the key order is the real one ...
    assert {tuple(e) for e in real.events} == {EVENT_KEYS}
    assert {tuple(s) for s in real.songs} == {SONG_KEYS}
    # ... every value has a type the real data uses for that key ...
    real_types, generated_types = _types(real.events), _types(source.events)
    assert all(generated_types[key] <= real_types[key] for key in EVENT_KEYS), (generated_types, real_types)
    real_song_types, generated_song_types = _types(real.songs), _types(source.songs)
    assert all(generated_song_types[key] <= real_song_types[key] for key in SONG_KEYS)
    # ... methods and statuses per page and the shape of logged-out events agree.
    for events in (real.events, source.events):
        assert {(e["page"], e["method"], e["status"]) for e in events} <= {
            (page, method, status) for page, (method, status) in PAGES.items()
        }

    def logged_out_nulls(events: list[dict[str, Any]]) -> set[frozenset[str]]:
        return {frozenset(k for k, v in e.items() if v is None) for e in events if e["auth"] == "Logged Out"}

    assert logged_out_nulls(source.events) == logged_out_nulls(real.events)
    assert {e["userId"] for e in real.events if e["auth"] == "Logged Out"} == {""}


# --- content -----------------------------------------------------------------


def test_ts_within_the_files_utc_day_sorted_with_milliseconds(source: Source) -> None:
    for path, text in source.event_files.items():
        day_start = (dt.date.fromisoformat(path.name[:10]) - _EPOCH).days * 86_400_000
        stamps = [json.loads(line)["ts"] for line in text.split("\n")]
        assert stamps == sorted(stamps)
        assert day_start <= stamps[0] and stamps[-1] < day_start + 86_400_000
        assert all(ts % 1000 for ts in stamps)
    users_per_ts = collections.defaultdict(set)
    for event in source.events:
        users_per_ts[event["ts"]].add(event["userId"])
    assert any(len(users) > 1 for users in users_per_ts.values()), "no two users share a millisecond"


def test_event_identity_is_unique(source: Source) -> None:
    keys = collections.Counter((e["userId"], e["sessionId"], e["itemInSession"]) for e in source.events)
    assert keys.most_common(1)[0][1] == 1


def test_sessions_number_items_from_zero(source: Source) -> None:
    items = collections.defaultdict(list)
    for event in sorted(source.events, key=lambda e: e["ts"]):
        items[event["sessionId"]].append(event["itemInSession"])
    assert all(sorted(seen) == list(range(len(seen))) for seen in items.values())
    assert max(map(len, items.values())) > 20


def test_users_look_real(source: Source) -> None:
    logged_in = [e for e in source.events if e["auth"] == "Logged In"]
    assert all(e["userId"].isdigit() for e in logged_in)
    assert all(e[k] for e in logged_in for k in ("firstName", "lastName", "location", "userAgent"))
    assert {e["gender"] for e in logged_in} == {"F", "M"}
    period_start = (CONFIG.start - _EPOCH).days * 86_400_000
    assert all(e["registration"] < period_start for e in logged_in)
    assert all(e["registration"] == int(e["registration"]) for e in logged_in)
    per_user = collections.defaultdict(set)
    for e in logged_in:
        per_user[e["userId"]].add((e["firstName"], e["lastName"], e["gender"], e["location"], e["registration"]))
    assert all(len(profiles) == 1 for profiles in per_user.values())
    assert 1 < len(per_user) <= CONFIG.users


def test_levels_switch_through_submit_events(source: Source) -> None:
    by_session = collections.defaultdict(list)
    for event in source.events:
        by_session[event["sessionId"]].append(event)
    switches = {"Submit Upgrade": ("free", "paid"), "Submit Downgrade": ("paid", "free")}
    seen = collections.Counter()
    for events in by_session.values():
        events.sort(key=lambda e: e["itemInSession"])
        for event, following in itertools.pairwise(events):
            if event["page"] in switches:
                assert (event["level"], following["level"]) == switches[event["page"]]
                seen[event["page"]] += 1
    assert seen["Submit Upgrade"] and seen["Submit Downgrade"]
    levels = collections.defaultdict(set)
    for event in source.events:
        levels[event["userId"]].add(event["level"])
    assert any(len(both) == 2 for user, both in levels.items() if user)


def test_logged_out_events(source: Source) -> None:
    logged_out = [e for e in source.events if e["auth"] == "Logged Out"]
    assert logged_out
    assert {e["auth"] for e in source.events} == {"Logged In", "Logged Out"}
    assert all(e["userId"] == "" for e in logged_out)
    assert {e["page"] for e in logged_out} <= {"Home", "Login", "About", "Help"}
    assert {"Home", "Login"} <= {e["page"] for e in logged_out}
    assert all(e[k] is None for e in logged_out for k in ("firstName", "gender", "lastName", "location"))
    assert all(e["registration"] is None and e["userAgent"] is None for e in logged_out)
    assert all(e["userId"] != "" for e in source.events if e["auth"] == "Logged In")


def test_all_pages_present_nextsong_dominant(source: Source) -> None:
    pages = collections.Counter(e["page"] for e in source.events)
    assert set(pages) == set(PAGES)
    assert 0.75 <= pages["NextSong"] / len(source.events) <= 0.88
    for event in source.events:
        song_fields = (event["artist"], event["song"], event["length"])
        if event["page"] == "NextSong":
            assert isinstance(event["artist"], str) and isinstance(event["song"], str)
            assert isinstance(event["length"], float)
        else:
            assert song_fields == (None, None, None)


def test_matched_share_and_catalog_quirks(source: Source) -> None:
    catalog = collections.Counter((s["title"], s["artist_name"], s["duration"]) for s in source.songs)
    plays = [(e["song"], e["artist"], e["length"]) for e in source.events if e["page"] == "NextSong"]
    matched = sum(play in catalog for play in plays) / len(plays)
    assert abs(matched - MATCHED_SHARE) < 0.05
    # Near misses: a catalog song's title and artist with another length.
    titles_artists = {(title, artist) for title, artist, _ in catalog}
    assert any(play not in catalog and play[:2] in titles_artists for play in plays)
    # Duplicate entries: same title, artist and duration under different song_ids.
    assert any(count > 1 for count in catalog.values())
    assert len({s["song_id"] for s in source.songs}) == len(source.songs)
    # Several songs per artist, each repeating the artist's fields identically.
    artists = collections.defaultdict(set)
    for song in source.songs:
        fields = ("artist_name", "artist_location", "artist_latitude", "artist_longitude")
        artists[song["artist_id"]].add(tuple(song[k] for k in fields))
    assert all(len(variants) == 1 for variants in artists.values())
    assert len(artists) < len(source.songs) / 2
    assert any(s["artist_latitude"] is None for s in source.songs)
    assert any(isinstance(s["artist_latitude"], float) for s in source.songs)
    assert any(s["artist_location"] == "" for s in source.songs)
    assert any(s["year"] == 0 for s in source.songs) and any(s["year"] > 1900 for s in source.songs)
    assert all(s["duration"] == round(s["duration"], 5) and s["num_songs"] == 1 for s in source.songs)
    assert any(not s["artist_name"].isascii() for s in source.songs)
    assert any(not s["artist_location"].isascii() for s in source.songs)


# --- ensure_sample and CLI -----------------------------------------------------


def test_ensure_sample_creates_once_and_never_overwrites(tmp_path: Path) -> None:
    root = tmp_path / "sample"
    config = GeneratorConfig(events=300, songs=20, users=5, days=2)
    created = ensure_sample(root, config)
    assert created is not None and created.root == root and created.events == 300
    before = _tree_bytes(root)
    assert sorted(p.name for p in root.iterdir()) == ["log_data", "song_data"]  # no staging left over
    assert ensure_sample(root, GeneratorConfig(events=500, songs=30, seed=1)) is None
    assert _tree_bytes(root) == before

    existing = tmp_path / "existing"
    existing.mkdir()
    (existing / "README").write_text("keep me")
    assert ensure_sample(existing, config) is not None
    assert sorted(p.name for p in existing.iterdir()) == ["README", "log_data", "song_data"]
    assert _tree_bytes(existing).keys() - {"README"} == before.keys()

    partial = tmp_path / "partial"
    (partial / "song_data").mkdir(parents=True)
    with pytest.raises(FileExistsError):
        ensure_sample(partial, config)


def test_interrupted_ensure_sample_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    config = GeneratorConfig(events=100, songs=10, users=3, days=2)
    for root in (tmp_path / "new", tmp_path):  # staged beside a missing root, or inside an existing one
        with monkeypatch.context() as patch:
            patch.setattr(generator._EventWriter, "write", fail)
            with pytest.raises(KeyboardInterrupt):
                ensure_sample(root, config)
        assert not (root / "song_data").exists() and not (root / "log_data").exists()
        assert not [p for p in tmp_path.rglob("*") if "generating" in p.name]
    assert ensure_sample(tmp_path, config) is not None


def test_cli_generates_and_refuses_non_empty_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    args = ["--out", str(out), "--events", "250", "--songs", "15", "--users", "4", "--days", "3"]
    assert main([*args, "--start", "2019-02-27", "--seed", "3"]) == 0
    summary = capsys.readouterr().out.strip()
    assert "\n" not in summary and "250 events" in summary and "events/s" in summary
    assert sorted(p.name for p in (out / "log_data" / "2019").iterdir()) == ["02", "03"]

    (out / "stray.txt").write_text("x")
    with pytest.raises(SystemExit) as refused:
        main(args)
    assert refused.value.code == 2
    assert "--force" in capsys.readouterr().err
    assert (out / "stray.txt").exists()

    assert main([*args, "--force"]) == 0
    assert not (out / "stray.txt").exists()
    assert sum(len(p.read_text().split("\n")) for p in (out / "log_data").rglob("*.json")) == 250


def test_cli_help_explains_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    for option in ("--out", "--events", "--songs", "--users", "--days", "--start", "--seed", "--force"):
        assert option in text
