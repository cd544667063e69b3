"""Hand-made raw records in the real feeds' format, for tests that pin one rule each."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def ms(text: str) -> int:
    """Epoch milliseconds of an ISO UTC time such as ``2018-11-01T21:01:46.796``."""
    moment = datetime.fromisoformat(text).replace(tzinfo=UTC)
    return round(moment.timestamp() * 1000)


def event(
    ts: str,
    user_id: str = "8",
    page: str = "NextSong",
    level: str = "free",
    session_id: int = 139,
    item: int = 0,
    song: str | None = "You Gotta Be",
    artist: str | None = "Des'ree",
    length: float | None = 246.30812,
    first_name: str | None = "Kaylee",
    last_name: str | None = "Summers",
) -> dict[str, Any]:
    """One app event; a logged-out one when ``user_id`` is empty."""
    logged_in = user_id != ""
    plays = page == "NextSong"
    return {
        "artist": artist if plays else None,
        "auth": "Logged In" if logged_in else "Logged Out",
        "firstName": first_name if logged_in else None,
        "gender": "F" if logged_in else None,
        "itemInSession": item,
        "lastName": last_name if logged_in else None,
        "length": length if plays else None,
        "level": level,
        "location": "Phoenix-Mesa-Scottsdale, AZ" if logged_in else None,
        "method": "PUT" if plays else "GET",
        "page": page,
        "registration": 1540344794796.0 if logged_in else None,
        "sessionId": session_id,
        "song": song if plays else None,
        "status": 200,
        "ts": ms(ts),
        "userAgent": "Mozilla/5.0 (Windows NT 6.1)" if logged_in else None,
        "userId": user_id,
    }


def song(
    song_id: str,
    title: str,
    artist_id: str = "ARD7TVE1187B99BFB1",
    artist_name: str = "Casual",
    duration: float = 218.93179,
    year: int = 0,
    latitude: float | None = None,
    longitude: float | None = None,
    location: str = "",
) -> dict[str, Any]:
    """One catalog entry, keys in the Million Song Dataset's order."""
    return {
        "num_songs": 1,
        "artist_id": artist_id,
        "artist_latitude": latitude,
        "artist_longitude": longitude,
        "artist_location": location,
        "artist_name": artist_name,
        "song_id": song_id,
        "title": title,
        "duration": duration,
        "year": year,
    }


def write_source(root: Path, events: list[dict[str, Any]], songs: list[dict[str, Any]]) -> Path:
    """Lays records out like the bucket: one file per song, one NDJSON file per UTC day."""
    for index, record in enumerate(songs):
        path = root / "song_data" / "A" / "B" / "C" / f"TRABC{index:013d}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    by_day: dict[str, list[dict[str, Any]]] = {}
    for record in events:
        day = datetime.fromtimestamp(record["ts"] / 1000, tz=UTC).date()
        by_day.setdefault(day.isoformat(), []).append(record)
    for day, records in by_day.items():
        path = root / "log_data" / day[:4] / day[5:7] / f"{day}-events.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = (
            json.dumps(r, separators=(",", ":"), ensure_ascii=False) for r in sorted(records, key=lambda r: r["ts"])
        )
        path.write_text("\n".join(lines), encoding="utf-8")
    (root / "log_data").mkdir(parents=True, exist_ok=True)
    (root / "song_data").mkdir(parents=True, exist_ok=True)
    return root
