"""What makes a raw record loadable, stated once for every engine, and the rejects that are not.

A bad record (a line of an event log, a whole song file, a row of a CSV log) never
reaches the star schema and never stops a run on its own: it is kept in
``rejected_records`` with where it came from and why, and the run's error budget
decides whether there were too many. PostgreSQL's staging checks every JSON record
here; DuckDB's SQL checks the same rules natively and asks this module for the
reasons and line numbers of the few files it found bad records in, so both reject
the same ones. CSV logs are split and screened by these rules in ``sparkify.csv_logs``, on every engine.

The rules follow what the loads rely on: UTF-8, one JSON object, every field of the
feed present (``null`` is a value), ``ts`` an integer of epoch milliseconds in
[2000-01-01, 2100-01-01) (:data:`TS_FIRST`, :data:`TS_END`: a ``ts`` in seconds is far
below), and, on events, ``userId`` a string holding a whole number, or blank when
logged out, never on a play: a ``NextSong`` event without a ``userId`` is rejected.
A number must be a JSON number, never a string or a boolean, and a whole number
(``sessionId``, ``status``, ``year`` ...) a JSON integer that fits an INTEGER: DuckDB's
casts would take "12", true or 1.5, these rules do not. No string may hold NUL, which
PostgreSQL's text cannot, and no event record may be longer than 1 MiB. A CSV row holds
the same values as text, each number written as JSON writes it, an empty field null.

Whole files come first (:func:`judge_file`, from an event log's first 64 KiB): a
UTF-8 byte-order mark at the start of any file is dropped, as most readers drop it; a
gzip-compressed event log is read decompressed, whatever its name; one that is another
compression, binary, not UTF-8 text from its first record on, or a JSON document that
is no newline-delimited JSON objects (an array, a string ...) is rejected whole: one
reject naming the object, with no line and no text (its key is how to recover it),
and none of it is staged.
"""

from __future__ import annotations

import codecs
import gzip
import re
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO

import orjson

from sparkify.errors import PipelineError
from sparkify.sources import EVENT_COLUMNS, S3_DOWNLOAD_THREADS, Source

#: Characters of a bad record kept in the table: enough to recognise it, bounded for wide rows.
RAW_TEXT_CHARS = 1000
#: The longest event record, in bytes, any engine loads: DuckDB's reader stops at 2 MB lines.
MAX_RECORD_BYTES = 1 << 20
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
_EPOCH = datetime(1970, 1, 1)
#: The plausible range of an event's time, [TS_FIRST, TS_END) UTC: every engine's rules take these two. A ts
#: in seconds (1541105830 is 1970-01-18 as milliseconds) is below it, one in microseconds above.
TS_FIRST = datetime(2000, 1, 1)
TS_END = datetime(2100, 1, 1)
#: The same range in epoch milliseconds: MIN_TS <= ts <= MAX_TS.
MIN_TS = (TS_FIRST - _EPOCH) // TS_FIRST.resolution // 1000
MAX_TS = (TS_END - _EPOCH) // TS_END.resolution // 1000 - 1
#: Why a null ts is rejected; why a ts outside the range (or no integer) is, the value as JSON writes it after.
TS_NULL = "ts is null"
TS_REASON = f"ts is not epoch milliseconds in [{TS_FIRST:%Y-%m-%d}, {TS_END:%Y-%m-%d})"
#: Why a play without a user is rejected: its fact would have no user (and fail a check, naming no line).
PLAY_WITHOUT_USER = "a NextSong event without a userId"
#: A logged-in user's id: a whole number that fits an INTEGER (the loads cast it); blank when logged out.
USER_ID = re.compile(r"[ \t]*(?:[0-9]{1,9})?[ \t]*")
INT32 = 2**31
#: Fields held as whole numbers (INTEGER) and as numbers (DOUBLE); the others are text.
WHOLE_FIELDS = {"itemInSession", "sessionId", "status", "num_songs", "year"}
NUMBER_FIELDS = {"length", "registration", "artist_latitude", "artist_longitude", "duration"}
#: What counts as a blank line: DuckDB's reader and this module must agree.
BLANK = b" \t\r"
#: The UTF-8 byte-order mark: dropped from the start of a file, as DuckDB's reader drops it.
BOM = b"\xef\xbb\xbf"
#: Bytes of an event log's start that tell what kind of file it is (:func:`judge_file`).
SNIFF_BYTES = 64 * 1024
#: Good CSV records handed to the engine at a time.
CSV_BATCH_BYTES = 1 << 20


class TooManyBadRecordsError(PipelineError):
    """More records were rejected than the run's error budget allows."""


@dataclass(frozen=True)
class Staged:
    """What staging one feed made of the records it read: every one is either staged or rejected.

    ``rejected`` counts records; a file rejected whole (:func:`judge_file`) is counted in ``files_rejected``
    instead, its records unread. The error budget counts each such file as one bad record.
    """

    feed: str
    staged: int
    rejected: int
    #: The files the feed read, when counted, and how many of them were rejected whole.
    files: int | None = None
    files_rejected: int = 0

    @property
    def read(self) -> int:
        return self.staged + self.rejected

    @property
    def bad(self) -> int:
        """What the error budget counts: the bad records, and one for each file rejected whole."""
        return self.rejected + self.files_rejected

    def describe(self) -> str:
        records = f"{self.read:,} = staged {self.staged:,} + rejected {self.rejected:,}"
        whole = f" ({self.files_rejected:,} rejected whole)" if self.files_rejected else ""
        if self.files is not None:
            return f"{self.feed}: read {self.files:,} files{whole} and {records.replace(' =', ' records =', 1)}"
        if self.files_rejected:
            return f"{self.feed}: read {records}; {self.files_rejected:,} files rejected whole"
        return f"{self.feed}: read {records}"


@dataclass(frozen=True)
class Rejection:
    """One bad record: the object it is in, its line (1 for a song file), why, and its text clipped.

    A file rejected whole has no line and no text: its object is how it is recovered.
    """

    source_object: str
    line_number: int | None
    reason: str
    raw_text: str | None

    @classmethod
    def whole_file(cls, source_object: str, reason: str) -> Rejection:
        """A file rejected as a unit: no line, no clipped bytes."""
        return cls(source_object, None, reason, None)

    @classmethod
    def of(cls, source_object: str, line_number: int, reason: str, raw: bytes) -> Rejection:
        # bytes that are not UTF-8, and NUL, which PostgreSQL's text refuses, show as U+FFFD
        text = raw.decode("utf-8", errors="replace").replace("\x00", "\ufffd").rstrip("\r\n")
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
    if len(raw) > MAX_RECORD_BYTES:
        return too_long(raw)
    document = _parse_object(raw, EVENT_COLUMNS)
    if isinstance(document, str):
        return document
    reason = _check_ts(document["ts"])
    if reason:
        return reason
    user_id = document["userId"]
    if user_id is not None and not (isinstance(user_id, str) and USER_ID.fullmatch(user_id)):
        return f"userId is not a whole number or blank: {shown(user_id)}"
    if document["page"] == "NextSong" and (user_id is None or not user_id.strip(" \t")):
        return PLAY_WITHOUT_USER
    return _check_types(document, EVENT_COLUMNS)


def parse_song(raw: bytes) -> dict[str, Any] | str:
    """The catalog entry of one song file (a byte-order mark before it dropped), or the reason it cannot be loaded."""
    document = _parse_object(raw.removeprefix(BOM), SONG_FIELDS)
    return document if isinstance(document, str) else _check_types(document, SONG_FIELDS)


def _check_types(document: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any] | str:
    """Numbers must be numbers; any other value of a text field is kept as its JSON text, as DuckDB keeps it."""
    for name in fields:
        value = document[name]
        if value is None or name == "ts":
            continue
        kind = type(value)
        if name in WHOLE_FIELDS:
            if not _is_int(value, INT32):
                return f"{name} is not a whole number: {shown(value)}"
        elif name in NUMBER_FIELDS:
            if kind is not int and kind is not float:
                return f"{name} is not a number: {shown(value)}"
        elif kind is not str:
            document[name] = orjson.dumps(value).decode()
        elif "\x00" in value:
            return f"{name} holds a NUL character (\\u0000), which PostgreSQL's text cannot hold"
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
        return TS_NULL
    if not _is_int(ts, MAX_TS + 1) or ts < MIN_TS:
        return f"{TS_REASON}: {shown(ts)}"
    return None


def _is_int(value: Any, bound: int) -> bool:
    return type(value) is int and -bound <= value < bound


def shown(value: Any) -> str:
    return orjson.dumps(value).decode()[:80]


def lines(stream: BinaryIO, chunk_bytes: int = 1 << 20) -> Iterator[tuple[int, bytes]]:
    """The non-blank lines of a stream with their 1-based numbers, read a chunk at a time."""
    return ((number, line) for number, line in all_lines(stream, chunk_bytes) if line.strip(BLANK))


def all_lines(stream: BinaryIO, chunk_bytes: int) -> Iterator[tuple[int, bytes]]:
    """Every line of a stream, numbered; a byte-order mark at the start of the first is dropped."""
    done, pending = 0, b""
    while chunk := stream.read(chunk_bytes):
        parts = (pending + chunk).split(b"\n")
        pending = parts.pop()
        if parts and not done:
            parts[0] = parts[0].removeprefix(BOM)
        yield from enumerate(parts, start=done + 1)
        done += len(parts)
    if pending:
        yield done + 1, pending.removeprefix(BOM) if not done else pending


def too_long(raw: bytes) -> str:
    return f"{len(raw):,} bytes long, more than the {MAX_RECORD_BYTES:,} a record may hold"


def check_budget(feeds: list[Staged], max_errors: int, source_uri: str, run_key: str) -> None:
    """Fails the run when a feed has more bad records than ``max_errors``, as Redshift's MAXERROR fails a COPY.

    A file rejected whole counts as one bad record: a broken day file alone stays under the budget, and is
    reported all the same (``Staged.describe``, ``rejected_records``).
    """
    over = [feed for feed in feeds if feed.bad > max_errors]
    if over:
        counts = "; ".join(
            f"{feed.rejected} of {feed.read} {feed.feed} records"
            + (f" and {feed.files_rejected} files rejected whole" if feed.files_rejected else "")
            for feed in over
        )
        raise TooManyBadRecordsError(
            f"{counts} of {source_uri} were rejected, more than the error budget of {max_errors} bad records "
            f"per feed. Each one's object, line and reason is in the rejected_records table "
            f"(run_key = '{run_key}'). Raise the budget with the flow's max_errors (CLI --max-errors, "
            "env SPARKIFY_COPY_MAX_ERROR, block copy_max_error) once they are understood."
        )


# -- whole files -----------------------------------------------------------------
#: The magic numbers of compressed files, and what each is called in a reason.
_COMPRESSIONS = (
    (b"\x1f\x8b", "gzip"),
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),
    (b"BZh", "bzip2"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"\xfd7zXZ\x00", "xz"),
)
#: Bytes no UTF-8 text file holds outside a broken record: the C0 controls but TAB, LF, CR and FF.
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f]")
_JSON_KINDS = {str: "string", int: "number", float: "number", bool: "boolean", type(None): "null", list: "array"}


@dataclass(frozen=True)
class FileJudgement:
    """What a file is, from its first bytes: read as it is, read through gzip, or rejected whole and why."""

    gzip: bool = False
    reason: str | None = None
    #: Whether its text starts with a byte-order mark (dropped by every reader here; Redshift reads a copy).
    bom: bool = False


def judge_file(head: bytes, events_format: str = "json") -> FileJudgement:
    """What kind of file an event log is, from its first :data:`SNIFF_BYTES` (all of it, when it is shorter).

    gzip (magic 1f 8b) is read decompressed whatever the file's name, and judged again decompressed. Another
    compression, binary (a control byte), UTF-16, or bytes that are not UTF-8 before the first record ends
    reject the file whole; so does a JSON log whose first record is an array or another JSON value than an
    object: it is one JSON document, not newline-delimited objects. A bad line after the first is a bad record.
    """
    compression = _compression(head)
    if compression != "gzip":
        if compression:
            return FileJudgement(reason=f"{compression}-compressed, not text: of compressed files only gzip is read")
        reason = _judge_text(head, len(head) < SNIFF_BYTES, events_format)
        return FileJudgement(reason=reason, bom=head.startswith(BOM))
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        text = decompressor.decompress(head, SNIFF_BYTES)
    except zlib.error as error:
        return FileJudgement(True, f"gzip-compressed, but not readable: {error}")
    inner = _compression(text)
    if inner:
        return FileJudgement(True, f"{inner}-compressed inside gzip: one gzip layer is read, no more")
    complete = len(text) < SNIFF_BYTES and (decompressor.eof or len(head) < SNIFF_BYTES)
    reason = _judge_text(text, complete, events_format)
    return FileJudgement(True, reason and f"gzip-compressed, and once decompressed {reason}", text.startswith(BOM))


def _compression(head: bytes) -> str | None:
    return next((name for magic, name in _COMPRESSIONS if head.startswith(magic)), None)


def _judge_text(head: bytes, complete: bool, events_format: str) -> str | None:
    """Why a file's start is not the text of newline-delimited records; None when it is."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16 text (its byte-order mark says so), not UTF-8"
    start = len(BOM) if head.startswith(BOM) else 0
    while start < len(head) and head[start] in b" \t\r\n":  # blank lines before the first record
        start += 1
    end = head.find(b"\n", start)
    record = head[start : len(head) if end < 0 else end]
    control = _CONTROL.search(record)
    try:
        # the record may run on past the bytes read: a character cut at their end is no fault
        codecs.getincrementaldecoder("utf-8")().decode(record, final=end >= 0 or complete)
        bad_byte = None
    except UnicodeDecodeError as error:
        bad_byte = error.start
    if control and (bad_byte is None or control.start() < bad_byte):
        return f"binary, not text: byte {start + control.start() + 1} is the control character 0x{control[0].hex()}"
    if bad_byte is not None:
        return f"not UTF-8 text: byte {start + bad_byte + 1} is not valid"
    if events_format != "json" or not record.strip(BLANK):
        return None
    if record.lstrip(BLANK).startswith(b"["):
        return "a JSON array, not newline-delimited JSON objects"
    try:
        document = orjson.loads(record)
    except orjson.JSONDecodeError:
        return None  # a bad first line: a bad record, judged as the others
    if isinstance(document, dict):
        return None
    return f"a JSON {_JSON_KINDS.get(type(document), type(document).__name__)}, not newline-delimited JSON objects"


def _gzip_fault(source: Source, key: str) -> str | None:
    """Why a gzip file does not decompress to its end (cut short, a checksum that fails ...); None when it does."""
    with source.open(key) as stream, gzip.GzipFile(fileobj=stream, mode="rb") as unzipped:
        try:
            while unzipped.read(1 << 20):
                pass
        except (EOFError, gzip.BadGzipFile, zlib.error) as error:
            return f"gzip-compressed, but cut short or corrupt: {error}"
    return None


@dataclass(frozen=True)
class Files:
    """A feed's files as :func:`judge_files` found them: which to read, which through gzip, which were rejected."""

    keys: list[str]
    gzipped: frozenset[str] = frozenset()
    #: One reject for each file rejected whole, in the order of ``keys``.
    rejections: tuple[Rejection, ...] = ()
    rejected: frozenset[str] = frozenset()
    #: The readable files whose text starts with a byte-order mark.
    bom: frozenset[str] = frozenset()

    @property
    def readable(self) -> list[str]:
        """The files to read, in listing order."""
        return [key for key in self.keys if key not in self.rejected]

    @property
    def plain(self) -> list[str]:
        return [key for key in self.readable if key not in self.gzipped]

    @property
    def compressed(self) -> list[str]:
        return [key for key in self.readable if key in self.gzipped]

    @contextmanager
    def open(self, source: Source, key: str) -> Iterator[BinaryIO]:
        """The records' bytes of a readable file: decompressed when it is gzip."""
        with source.open(key) as stream:
            if key in self.gzipped:
                with gzip.GzipFile(fileobj=stream, mode="rb") as unzipped:
                    yield unzipped  # type: ignore[misc]
            else:
                yield stream


def judge_files(source: Source, keys: list[str]) -> Files:
    """Each event log judged by its first bytes (:func:`judge_file`): one ranged GET each from S3, side by side.

    A gzip file is also decompressed to its end once (read twice, then): one cut short or corrupt past its
    first bytes is rejected whole too, rather than failing every engine's reader halfway through it.
    """
    if not keys:
        return Files([])

    def judge(key: str) -> FileJudgement:
        judged = judge_file(source.head(key, SNIFF_BYTES), source.events_format)
        if judged.gzip and judged.reason is None:
            fault = _gzip_fault(source, key)
            if fault:
                return FileJudgement(True, fault, judged.bom)
        return judged

    with ThreadPoolExecutor(min(S3_DOWNLOAD_THREADS, len(keys))) as pool:
        judgements = list(pool.map(judge, keys))
    gzipped, rejected, bom, rejections = set(), set(), set(), []
    for key, judged in zip(keys, judgements, strict=True):
        if judged.gzip:
            gzipped.add(key)
        if judged.reason:
            rejected.add(key)
            rejections.append(Rejection.whole_file(f"{source.uri}/{key}", judged.reason))
        elif judged.bom:
            bom.add(key)
    return Files(list(keys), frozenset(gzipped), tuple(rejections), frozenset(rejected), frozenset(bom))
