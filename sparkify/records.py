"""What makes a raw record loadable, stated once for every engine, and the rejects that are not.

A bad record (a line of an event log, a whole song file) never reaches the star
schema and never stops a run on its own: it is kept in ``rejected_records`` with
where it came from and why, and the run's error budget decides whether there
were too many. PostgreSQL's staging checks every record here; DuckDB's SQL
checks the same rules natively and asks this module for the reasons and line
numbers of the few files it found bad records in, so both reject the same ones.

The rules follow what the loads rely on and what DuckDB's ``json_transform_strict``
accepts: UTF-8, one JSON object, every field of the feed present (``null`` is a
value), ``ts`` an integer of epoch milliseconds before the year 10000, and, on
events, ``userId`` a string holding a whole number, or blank when logged out;
``sessionId`` and ``itemInSession`` whole numbers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO

import orjson

from sparkify.errors import PipelineError
from sparkify.sources import EVENT_COLUMNS

#: Characters of a bad record kept in the table: enough to recognise it, bounded for wide rows.
RAW_TEXT_CHARS = 1000
#: The song file's fields, all present in every file of the catalog.
SONG_FIELDS = (
    "num_songs",
    "artist_id",
    "artist_latitude",
    "artist_longitude",
    "artist_location",
    "artist_name",
    "song_id",
    "title",
    "duration",
    "year",
)
#: Epoch milliseconds of 9999-12-31 23:59:59.999: later ones are no timestamp any engine holds.
MAX_TS = 253402300799999
#: A logged-in user's id: a whole number that fits an INTEGER (the loads cast it); blank when logged out.
_USER_ID = re.compile(r"[ \t]*(?:[0-9]{1,9})?[ \t]*")
_INT32 = 2**31
#: Fields held as whole numbers (INTEGER) and as numbers (DOUBLE); the others are text.
_WHOLE = {"itemInSession", "sessionId", "status", "num_songs", "year"}
_NUMBERS = {"length", "registration", "artist_latitude", "artist_longitude", "duration"}
#: What counts as a blank line: DuckDB's reader and this module must agree.
BLANK = b" \t\r"


class TooManyBadRecordsError(PipelineError):
    """More records were rejected than the run's error budget allows."""


@dataclass(frozen=True)
class Staged:
    """What staging one feed made of the records it read: every one is either staged or rejected."""

    feed: str
    staged: int
    rejected: int

    @property
    def read(self) -> int:
        return self.staged + self.rejected

    def describe(self) -> str:
        return f"{self.feed}: read {self.read} = staged {self.staged} + rejected {self.rejected}"


@dataclass(frozen=True)
class Rejection:
    """One bad record: the object it is in, its line (1 for a song file), why, and its text clipped."""

    source_object: str
    line_number: int
    reason: str
    raw_text: str

    @classmethod
    def of(cls, source_object: str, line_number: int, reason: str, raw: bytes) -> Rejection:
        text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        return cls(source_object, line_number, reason, text[:RAW_TEXT_CHARS])

    def row(self, run_key: str, feed: str, rejected_at: datetime) -> dict[str, Any]:
        """The row of ``rejected_records``."""
        return {
            "run_key": run_key,
            "feed": feed,
            "source_object": self.source_object,
            "line_number": self.line_number,
            "reason": self.reason,
            "raw_text": self.raw_text,
            "rejected_at": rejected_at,
        }


def parse_event(raw: bytes) -> dict[str, Any] | str:
    """The event of one log line, or the reason it cannot be loaded."""
    document = _parse_object(raw, EVENT_COLUMNS)
    if isinstance(document, str):
        return document
    reason = _check_ts(document["ts"])
    if reason:
        return reason
    user_id = document["userId"]
    if user_id is not None and not (isinstance(user_id, str) and _USER_ID.fullmatch(user_id)):
        return f"userId is not a whole number or blank: {_shown(user_id)}"
    return _check_types(document, EVENT_COLUMNS)


def parse_song(raw: bytes) -> dict[str, Any] | str:
    """The catalog entry of one song file, or the reason it cannot be loaded."""
    document = _parse_object(raw, SONG_FIELDS)
    return document if isinstance(document, str) else _check_types(document, SONG_FIELDS)


def _check_types(document: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any] | str:
    """Numbers must be numbers; any other value of a text field is kept as its JSON text, as DuckDB keeps it."""
    for name in fields:
        value = document[name]
        if value is None or name == "ts":
            continue
        kind = type(value)
        if name in _WHOLE:
            if not _is_int(value, _INT32):
                return f"{name} is not a whole number: {_shown(value)}"
        elif name in _NUMBERS:
            if kind is not int and kind is not float:
                return f"{name} is not a number: {_shown(value)}"
        elif kind is not str:
            document[name] = orjson.dumps(value).decode()
    return document


def _parse_object(raw: bytes, fields: tuple[str, ...]) -> dict[str, Any] | str:
    try:
        document = orjson.loads(raw)  # it checks the UTF-8 too
    except orjson.JSONDecodeError as error:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as not_utf8:
            return f"not UTF-8: byte {not_utf8.start + 1} is not valid"
        return f"malformed JSON: {error}"
    if not isinstance(document, dict):
        return f"not a JSON object but {type(document).__name__}"
    missing = [name for name in fields if name not in document]
    if missing:
        return f"missing field(s): {', '.join(missing)}"
    return document


def _check_ts(ts: Any) -> str | None:
    if ts is None:
        return "ts is null"
    if not _is_int(ts, MAX_TS + 1) or ts < 0:
        return f"ts is not epoch milliseconds: {_shown(ts)}"
    return None


def _is_int(value: Any, bound: int) -> bool:
    return type(value) is int and -bound < value < bound


def _shown(value: Any) -> str:
    return orjson.dumps(value).decode()[:80]


def lines(stream: BinaryIO, chunk_bytes: int = 1 << 20) -> Iterator[tuple[int, bytes]]:
    """The non-blank lines of a stream with their 1-based numbers, read a chunk at a time."""
    done, pending = 0, b""
    while chunk := stream.read(chunk_bytes):
        parts = (pending + chunk).split(b"\n")
        pending = parts.pop()
        for number, line in enumerate(parts, start=done + 1):
            if line.strip(BLANK):
                yield number, line
        done += len(parts)
    if pending.strip(BLANK):
        yield done + 1, pending


def check_budget(feeds: list[Staged], max_errors: int, source_uri: str, run_key: str) -> None:
    """Fails the run when a feed has more bad records than ``max_errors``, as Redshift's MAXERROR fails a COPY."""
    over = [feed for feed in feeds if feed.rejected > max_errors]
    if over:
        counts = "; ".join(f"{feed.rejected} of {feed.read} {feed.feed} records" for feed in over)
        raise TooManyBadRecordsError(
            f"{counts} of {source_uri} were rejected, more than the error budget of {max_errors} bad records "
            f"per feed. Each one's object, line and reason is in the rejected_records table "
            f"(run_key = '{run_key}'). Raise the budget with the flow's max_errors (CLI --max-errors, "
            "env SPARKIFY_COPY_MAX_ERROR, block copy_max_error) once they are understood."
        )
