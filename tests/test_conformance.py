"""The flow on the real Sparkify sample, against tables computed here independently in plain Python.

The sample lives outside the repository (../shared/data/udacity-sample); the test
skips with a reason where it is absent.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from flows.etl.flow import sparkify_etl
from tests.support.helpers import duckdb_url, star_contents
from tests.support.samples import REAL_SAMPLE

SAMPLE = REAL_SAMPLE
EPOCH = datetime(1970, 1, 1)

pytestmark = [
    pytest.mark.skipif(not SAMPLE.is_dir(), reason=f"real sample not present at {SAMPLE}"),
    pytest.mark.usefixtures("prefect_harness"),
]


def read_events(root: Path = SAMPLE) -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for path in sorted((root / "log_data").rglob("*.json"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def read_songs(root: Path = SAMPLE) -> list[dict[str, Any]]:
    return [json.loads(path.read_text(encoding="utf-8")) for path in sorted((root / "song_data").rglob("*.json"))]


def blank_to_none(text: str | None) -> str | None:
    return None if text is None or not text.strip() else text.rstrip(" ")


def trimmed(text: str | None) -> str | None:
    """Text as every engine compares it (Redshift's): trailing blanks are no part of a value."""
    return None if text is None else text.rstrip(" ")


def expected_tables(root: Path = SAMPLE) -> dict[str, list[tuple[Any, ...]]]:
    """The star schema of the source at ``root`` as the issue defines it, computed without any SQL."""
    events, songs = read_events(root), read_songs(root)
    when = {id(e): EPOCH + timedelta(milliseconds=e["ts"]) for e in events}

    catalog: dict[tuple[str, str, float], dict[str, Any]] = {}
    for entry in sorted(songs, key=lambda s: s["song_id"]):
        catalog.setdefault((trimmed(entry["title"]), trimmed(entry["artist_name"]), entry["duration"]), entry)

    plays = {}
    for e in sorted((e for e in events if e["page"] == "NextSong"), key=lambda e: e["ts"]):
        plays.setdefault((e["userId"], e["sessionId"], e["itemInSession"]), e)
    songplays = []
    for (user, session, item), e in plays.items():
        match = catalog.get((trimmed(e["song"]), trimmed(e["artist"]), e["length"]))
        songplays.append(
            (
                hashlib.md5(f"{session}-{item}-{user}".encode()).hexdigest(),
                when[id(e)],
                int(user),
                trimmed(e["level"]),
                match["song_id"] if match else None,
                match["artist_id"] if match else None,
                session,
                trimmed(e["location"]),
                trimmed(e["userAgent"]),
                trimmed(e["song"]),
                trimmed(e["artist"]),
                e["length"],
            )
        )

    latest: dict[int, dict[str, Any]] = {}
    for e in sorted(
        (e for e in events if e["userId"].strip()), key=lambda e: (e["ts"], e["sessionId"], e["itemInSession"])
    ):
        latest[int(e["userId"])] = e
    users = [
        (user, *(trimmed(e[key]) for key in ("firstName", "lastName", "gender", "level")), when[id(e)])
        for user, e in latest.items()
    ]

    by_song: dict[str, dict[str, Any]] = {}
    for entry in sorted(songs, key=lambda s: (s["title"], s["artist_id"], s["year"], s["duration"])):
        by_song.setdefault(entry["song_id"], entry)
    songs_rows = [
        (s["song_id"], trimmed(s["title"]), s["artist_id"], s["year"] or None, s["duration"]) for s in by_song.values()
    ]

    by_artist: dict[str, dict[str, Any]] = {}
    ranked = sorted(
        songs,
        key=lambda s: (s["artist_latitude"] is None, blank_to_none(s["artist_location"]) is None, s["song_id"]),
    )
    for entry in ranked:
        by_artist.setdefault(entry["artist_id"], entry)
    artists = [
        (
            a["artist_id"],
            trimmed(a["artist_name"]),
            blank_to_none(a["artist_location"]),
            a["artist_latitude"],
            a["artist_longitude"],
        )
        for a in by_artist.values()
    ]

    moments = {row[1] for row in songplays}
    time_rows = [(m, m.hour, m.day, m.isocalendar().week, m.month, m.year, m.isoweekday() % 7) for m in moments]
    tables = {"songplays": songplays, "users": users, "songs": songs_rows, "artists": artists, "time": time_rows}
    return {
        name: sorted(rows, key=lambda row: tuple((v is None, str(v)) for v in row)) for name, rows in tables.items()
    }


def test_the_real_sample_builds_exactly_the_expected_star_schema(tmp_path: Path) -> None:
    url = duckdb_url(tmp_path)
    summary = sparkify_etl(source=str(SAMPLE), warehouse=url)
    expected = expected_tables()

    actual = star_contents(url)
    for table, rows in expected.items():
        assert actual[table] == rows, f"{table} differs from the independent computation"
    # one fact per NextSong line of the raw files, counted a third way
    nextsong_lines = sum(
        path.read_text(encoding="utf-8").count('"page":"NextSong"') for path in (SAMPLE / "log_data").rglob("*.json")
    )
    assert summary.songplays_loaded == len(actual["songplays"]) == nextsong_lines
