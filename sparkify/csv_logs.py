"""CSV event logs: how a CSV log is split into records and each record judged, by the rules of ``sparkify.records``.

A CSV log holds the JSON log's values as text (``sparkify/sources.py`` describes the layout). Every engine screens
CSV logs here, in Python, so that they all split, check and reject alike; the good records then reach the engine
in one stream of text.
"""

from __future__ import annotations

import csv
import math
import re
from collections import deque
from collections.abc import Callable, Iterator
from operator import itemgetter
from typing import BinaryIO

from sparkify.records import (
    BLANK,
    CSV_BATCH_BYTES,
    INT32,
    MAX_RECORD_BYTES,
    MAX_TS,
    MIN_TS,
    NUMBER_FIELDS,
    PLAY_WITHOUT_USER,
    TS_REASON,
    USER_ID,
    WHOLE_FIELDS,
    Files,
    Rejection,
    all_lines,
    judge_files,
    shown,
    too_long,
)
from sparkify.sources import EVENT_COLUMNS, Source, SourceError

#: A number as JSON writes it; a whole number, its integer form. An empty field is null.
_CSV_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_CSV_WHOLE = re.compile(r"-?[0-9]{1,10}")
_CSV_TS = re.compile(r"[0-9]{1,15}")
_USER_ID_COLUMN, _PAGE_COLUMN = EVENT_COLUMNS.index("userId"), EVENT_COLUMNS.index("page")
#: An RFC 4180 record: each field quoted (quotes doubled inside) or free of quotes, commas and line breaks.
#: Python's reader takes a quote inside an unquoted field as text, PostgreSQL's and DuckDB's do not.
_WELL_QUOTED = re.compile(rb'(?:"[^"]*(?:""[^"]*)*"|[^",\r\n]*)(?:,(?:"[^"]*(?:""[^"]*)*"|[^",\r\n]*))*\r?')
#: The columns with rules, and one pattern their fields, joined by \x1f, match when each surely
#: holds (no bound to compare, no exponent to overflow): most records pass it without a field loop.
_CSV_CHECKED = tuple(
    index
    for index, name in enumerate(EVENT_COLUMNS)
    if name in WHOLE_FIELDS or name in NUMBER_FIELDS or name in ("ts", "userId")
)
_checked_fields = itemgetter(*_CSV_CHECKED)
_SURELY = {
    # from 2001-09-09 to 2096-10-02: surely inside [TS_FIRST, TS_END), no bound to compare
    "ts": r"[1-3][0-9]{12}",
    "userId": USER_ID.pattern,
    **dict.fromkeys(WHOLE_FIELDS, r"(?:-?[0-9]{1,9})?"),
    **dict.fromkeys(NUMBER_FIELDS, r"(?:-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]{1,2})?)?"),
}
_CSV_SURELY_GOOD = re.compile("\x1f".join(_SURELY[EVENT_COLUMNS[index]] for index in _CSV_CHECKED))


def csv_records(stream: BinaryIO, chunk_bytes: int = 1 << 20) -> Iterator[tuple[int, bytes]]:
    """The records of a CSV file with the number of the line each starts on; blank lines between them are none.

    A record ends at the first newline outside quotes, found as PostgreSQL's COPY finds it: by
    the parity of the quotes so far. A record over several lines that is not well quoted most
    likely began at a stray quote that ran on over the rows after it (or is one cut short by the
    end of the file): its first line is then a record of its own, and the lines after it are
    split again, so that only the broken line is rejected.
    """
    lines = all_lines(stream, chunk_bytes)
    again: deque[tuple[int, bytes]] = deque()
    pending: list[tuple[int, bytes]] = []
    quotes = 0
    while True:
        numbered = again.popleft() if again else next(lines, None)
        if numbered is not None:  # else the file has ended: what is pending is a record, cut short or not
            if not pending:
                if not numbered[1].strip(BLANK):
                    continue
                if not numbered[1].count(b'"') % 2:  # most records: one line
                    yield numbered
                    continue
            pending.append(numbered)
            quotes += numbered[1].count(b'"')
            if quotes % 2:
                continue
        if not pending:
            return
        start, record = pending[0]
        if len(pending) > 1:
            record = b"\n".join(line for _, line in pending)
            if not _WELL_QUOTED.fullmatch(record):
                again.extendleft(reversed(pending[1:]))
                record = pending[0][1]
        yield start, record
        pending, quotes = [], 0


def csv_fields(raw: bytes) -> list[str] | str:
    """The fields of one CSV record (RFC 4180, strictly), or why it is not one."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as not_utf8:
        return f"not UTF-8: byte {not_utf8.start + 1} is not valid"
    try:
        # one string: a line break outside quotes is an error, not a second record
        fields = next(csv.reader([text], strict=True))
    except csv.Error as error:
        said = str(error)
        return f"malformed CSV: {'a line break outside quotes' if said.startswith('new-line character') else said}"
    # a field holding a quote was quoted, its quotes doubled, or else it is a stray
    if '"' in "".join(fields) and not _WELL_QUOTED.fullmatch(raw):
        return "malformed CSV: a quote inside a field that is not quoted"
    return fields


def parse_csv_event(raw: bytes) -> list[str] | str:
    """The fields of one CSV event record, checked by the JSON events' rules, or why it cannot be loaded.

    The engines load the record's text as it is (so an empty unquoted field stays null and
    ``""`` the empty string); these checks make sure every number in it casts.
    """
    if len(raw) > MAX_RECORD_BYTES:
        return too_long(raw)
    fields = csv_fields(raw)
    if isinstance(fields, str):
        return fields
    if len(fields) != len(EVENT_COLUMNS):
        return f"{len(fields)} fields, not the {len(EVENT_COLUMNS)} of the header"
    if b"\x00" in raw or not _CSV_SURELY_GOOD.fullmatch("\x1f".join(_checked_fields(fields))):
        fault = _csv_fault(fields)
        if fault:
            return fault
    if fields[_PAGE_COLUMN] == "NextSong" and not fields[_USER_ID_COLUMN].strip(" \t"):
        return PLAY_WITHOUT_USER
    return fields


def _csv_fault(fields: list[str]) -> str | None:
    """The first rule the fields break, in column order."""
    for name, value in zip(EVENT_COLUMNS, fields, strict=True):
        if name == "ts":
            if not _CSV_TS.fullmatch(value):
                return f"{TS_REASON}: {shown(value)}"
            if not MIN_TS <= int(value) <= MAX_TS:
                return f"{TS_REASON}: {int(value)}"
        elif name == "userId":
            if not USER_ID.fullmatch(value):
                return f"userId is not a whole number or blank: {shown(value)}"
        elif name in WHOLE_FIELDS:
            if value and not (_CSV_WHOLE.fullmatch(value) and -INT32 <= int(value) < INT32):
                return f"{name} is not a whole number: {shown(value)}"
        elif name in NUMBER_FIELDS:
            if value and not (_CSV_NUMBER.fullmatch(value) and math.isfinite(float(value))):
                return f"{name} is not a number: {shown(value)}"
        elif "\x00" in value:
            return f"{name} holds a NUL character, which PostgreSQL's text cannot hold"
    return None


def screen_csv_logs(
    source: Source, keys: list[str], write: Callable[[bytes], object], files: Files | None = None
) -> list[Rejection]:
    """Writes the good records of CSV event logs, one per line, a chunk at a time; returns the bad ones.

    Every engine loads CSV this way, so they all split, check and reject alike. A file whose
    header is not the layout's fails the run: its columns cannot be told apart. ``files`` says how each
    file is read (:func:`judge_files`); the files it rejected whole are among the rejects returned.
    """
    files = files or judge_files(source, keys)
    rejections, batch = list(files.rejections), bytearray()
    for key in files.readable:
        with files.open(source, key) as stream:
            records = csv_records(stream)
            header = next(records, None)
            if header is not None and csv_fields(header[1]) != list(EVENT_COLUMNS):
                raise SourceError(
                    f"{source.uri}/{key}: CSV header {header[1][:300].decode(errors='replace')!r} "
                    f"is not the event log's {','.join(EVENT_COLUMNS)!r}"
                )
            for number, raw in records:
                reason = parse_csv_event(raw)
                if isinstance(reason, str):
                    rejections.append(Rejection.of(f"{source.uri}/{key}", number, reason, raw))
                    continue
                batch += raw.rstrip(b"\r") + b"\n"
                if len(batch) >= CSV_BATCH_BYTES:
                    write(bytes(batch))
                    batch.clear()
    if batch:
        write(bytes(batch))
    return rejections
