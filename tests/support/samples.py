"""Inputs shared by the S3, PostgreSQL and CSV tests: a small feed full of awkward values, and the real sample."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from bench.services import S3Server, s3_env
from tests.support.factories import event, song, write_source

#: The real Udacity sample, when the workplace's shared folder holds it.
REAL_SAMPLE = Path(__file__).resolve().parents[2].parent / "shared/data/udacity-sample"

QUOTED_TITLE = 'Say "Hi", Then\nLeave'
QUOTED_ARTIST = 'O\'Brien, "Big"'

CATALOG = [
    song("SOMZWCG12A8C13C480", "You Gotta Be", artist_id="ARDESREE", artist_name="Des'ree", duration=246.30812),
    # the same recording twice in the catalog: the lower song_id wins
    song("SOAAAAA12A8C13C480", "You Gotta Be", artist_id="ARDESREE", artist_name="Des'ree", duration=246.30812),
    song(
        "SOQUOTE12A8C13C481",
        QUOTED_TITLE,
        artist_id="ARQUOTE",
        artist_name=QUOTED_ARTIST,
        duration=100.25,
        year=1999,
        latitude=51.50632,
        longitude=-0.12714,
        location="London, England",
    ),
]

EVENTS = [
    event("2018-11-01T10:00:00.100", level="free", item=0),
    event("2018-11-01T10:04:00.200", item=1, song=QUOTED_TITLE, artist=QUOTED_ARTIST, length=100.25),
    event("2018-11-01T10:05:00.300", page="Submit Upgrade", item=2),
    event("2018-11-01T10:06:00.999", level="paid", item=3, song="Unknown Song", artist="Nobody", length=1.5),
    # logged out: userId is "" and the name fields null
    event("2018-11-01T11:00:00.400", user_id="", page="Home", session_id=140, item=0),
    event("2018-11-02T09:00:00.500", user_id="15", first_name="Zoë", last_name="Ünal", session_id=200, item=0),
    # an empty location is kept as the empty string, not made null
    {
        **event("2018-11-02T09:03:00.600", user_id="15", first_name="Zoë", last_name="Ünal", session_id=200, item=1),
        "location": "",
    },
    # two users in the same millisecond, on the next month's first day
    event("2018-12-01T00:00:00.001", user_id="8", session_id=300, item=0, level="paid"),
    event("2018-12-01T00:00:00.001", user_id="15", first_name="Zoë", last_name="Ünal", session_id=301, item=0),
]


def write_feeds(root: Path) -> Path:
    """The awkward feed as a source folder; one song file is pretty-printed, as some real ones are."""
    write_source(root, EVENTS, CATALOG)
    pretty = sorted((root / "song_data").rglob("*.json"))[-1]
    pretty.write_text(json.dumps(json.loads(pretty.read_text(encoding="utf-8")), indent=2) + "\n", encoding="utf-8")
    return root


def real_sample() -> Path:
    if not (REAL_SAMPLE / "song_data").is_dir():
        pytest.skip(f"the real sample is not at {REAL_SAMPLE} (the workplace's shared/data/udacity-sample)")
    return REAL_SAMPLE


def use_s3(server: S3Server, monkeypatch: pytest.MonkeyPatch) -> None:
    """The standard AWS chain (environment variables) pointed at moto, for this test only."""
    for name, value in s3_env(server).items():
        monkeypatch.setenv(name, value)


def new_bucket() -> str:
    """moto's buckets live for the whole session: each test makes its own."""
    return f"sparkify-{uuid.uuid4().hex[:12]}"
