"""Bad input: every bad record is kept aside and accounted for, every good one loads, on every engine.

One corpus holds each kind of bad record the issue names, injected among the
awkward feed's good ones. Real DuckDB and real PostgreSQL load it through the
flow; their tables must equal those of the clean feed, and both must reject the
same records with the same object, line, reason and text.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from sqlglot import exp

from bench.csv_logs import csv_log, csv_row, to_csv_source
from flows.cli import main
from flows.etl.flow import sparkify_etl
from sparkify import csv_logs, records
from sparkify.dryrun import plan
from sparkify.records import TooManyBadRecordsError
from sparkify.run import LoadRun
from sparkify.sources import EVENT_COLUMNS, LocalSource
from sparkify.warehouse import connect
from sparkify.window import Window
from tests.support.factories import event, song, write_source
from tests.support.helpers import duckdb_url, rows, star_contents
from tests.support.samples import EVENTS, write_feeds
from tests.test_redshift import ROLE, redshift_block

DAY1 = "log_data/2018/11/2018-11-01-events.json"
DAY2 = "log_data/2018/11/2018-11-02-events.json"
EMPTY_DAY = "log_data/2018/11/2018-11-05-events.json"
BAD_SONG = "song_data/A/B/C/TRBAD000000000001.json"
LATIN1_SONG = "song_data/A/B/C/TRBAD000000000002.json"
EMPTY_SONG = "song_data/A/B/C/TRBAD000000000003.json"
TEXT_YEAR_SONG = "song_data/A/B/C/TRBAD000000000004.json"


def line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False)


def without(record: dict[str, Any], key: str) -> dict[str, Any]:
    return {name: value for name, value in record.items() if name != key}


#: Bad event lines put after the first line of day 1: (text, the reason's start).
BAD_LINES: list[tuple[bytes, str]] = [
    (b'{"artist": "Des\'ree", "auth": "Logged In", ', "malformed JSON"),
    (line({**event("2018-11-01T12:00:00.000", session_id=901), "ts": "1541073600000"}).encode(), "ts is not"),
    (line(event("2018-11-01T12:00:01.000", user_id="eight", session_id=902)).encode(), "userId is not"),
    (line(without(event("2018-11-01T12:00:02.000", session_id=903), "sessionId")).encode(), "missing field"),
    (line(without(event("2018-11-01T12:00:03.000", session_id=904), "ts")).encode(), "missing field"),
    (line(event("2018-11-01T12:00:04.000", session_id=905, song="Caf\u00e9")).encode("latin-1"), "not UTF-8"),
    (b'["not", "an", "object"]', "not a JSON object"),
    (b'"just a string"', "not a JSON object"),
    # values DuckDB's casts would take ("12" or true as a number, 1.5 rounded to 2), the rules do not
    (line({**event("2018-11-01T12:00:05.000"), "sessionId": "908"}).encode(), "sessionId is not a whole number"),
    (line({**event("2018-11-01T12:00:06.000", session_id=909), "status": True}).encode(), "status is not a whole"),
    (line({**event("2018-11-01T12:00:07.000", session_id=910), "itemInSession": 1.5}).encode(), "itemInSession is"),
    (line({**event("2018-11-01T12:00:08.000"), "sessionId": 2**31}).encode(), "sessionId is not a whole number"),
    (line({**event("2018-11-01T12:00:09.000", session_id=911), "length": "long"}).encode(), "length is not a number"),
    # text PostgreSQL cannot hold, and JSON that is not valid though it looks close
    (line(event("2018-11-01T12:00:10.000", session_id=912, song="A\u0000B")).encode(), "song holds a NUL"),
    (
        line(event("2018-11-01T12:00:11.000", session_id=913, song="A\x00B")).encode().replace(b"\\u0000", b"\x00"),
        "malformed JSON",
    ),
    (
        line(event("2018-11-01T12:00:12.000", session_id=914)).encode().replace(b'"song": "', b'"song": "\\ud800'),
        "malformed JSON",
    ),
    # longer than any engine loads: DuckDB's reader stops at 2 MB
    (line(event("2018-11-01T12:00:13.000", session_id=915, song="x" * records.MAX_RECORD_BYTES)).encode(), "1,048,"),
    # a ts outside [2000, 2100): in seconds, or in 2100; a null one; a play without a user
    (line({**event("2018-11-01T12:00:14.000", session_id=916), "ts": 1541073614}).encode(), records.TS_REASON),
    (line({**event("2018-11-01T12:00:15.000", session_id=917), "ts": records.MAX_TS + 1}).encode(), "ts is not"),
    (line({**event("2018-11-01T12:00:16.000", session_id=918), "ts": None}).encode(), records.TS_NULL),
    (line(event("2018-11-01T12:00:17.000", user_id="", session_id=919)).encode(), records.PLAY_WITHOUT_USER),
    (line({**event("2018-11-01T12:00:18.000", session_id=920), "userId": None}).encode(), records.PLAY_WITHOUT_USER),
]


def write_corpus(root: Path) -> list[tuple[str, int, str]]:
    """The awkward feed with bad records injected; returns each one's object, line number and reason start."""
    write_feeds(root)
    expected = []
    day1 = (root / DAY1).read_bytes().split(b"\n")
    lines = [day1[0], b"", b"   "]  # blank lines are no records
    for text, reason in BAD_LINES:
        lines.append(text)
        expected.append((DAY1, len(lines), reason))
    lines += day1[1:]
    (root / DAY1).write_bytes(b"\r\n".join(lines) + b"\n\n")
    # a truncated file: its last line cut mid-record, no newline after it
    day2 = (root / DAY2).read_bytes()
    cut = line(event("2018-11-02T23:59:59.000", user_id="15", session_id=907))
    (root / DAY2).write_bytes(day2 + b"\n" + cut[: len(cut) // 2].encode())
    expected.append((DAY2, day2.count(b"\n") + 2, "malformed JSON"))
    (root / EMPTY_DAY).write_bytes(b"")
    # song files: one cut short, one not UTF-8, one empty (no record), one with a year in a string
    (root / BAD_SONG).write_text(line(song("SOBAD", "Half"))[:30], encoding="utf-8")
    expected.append((BAD_SONG, 1, "malformed JSON"))
    (root / LATIN1_SONG).write_bytes(line(song("SOLATIN", "Déjà Vu")).encode("latin-1"))
    expected.append((LATIN1_SONG, 1, "not UTF-8"))
    (root / EMPTY_SONG).write_bytes(b"")
    (root / TEXT_YEAR_SONG).write_text(line({**song("SOTEXTYEAR", "Then"), "year": "2001"}), encoding="utf-8")
    expected.append((TEXT_YEAR_SONG, 1, "year is not a whole number"))
    return expected


def rejects(url: str) -> list[tuple[Any, ...]]:
    return rows(url, "SELECT source_object, line_number, reason, raw_text, feed FROM rejected_records ORDER BY 1, 2")


#: Bad rows of a CSV event log put after its first row: (text, the reason's start).
CSV_DAY1 = DAY1.replace(".json", ".csv")
CSV_DAY2 = DAY2.replace(".json", ".csv")
_GOOD_ROW = csv_row(event("2018-11-01T13:00:00.000", session_id=950))
_GOOD_FIELDS = next(csv.reader([_GOOD_ROW]))
BAD_CSV_ROWS: list[tuple[bytes, str]] = [
    # a stray quote in an unquoted field: by the quotes' parity it runs on to the end of the file, yet only
    # its own line is rejected
    (_GOOD_ROW.replace('"Des\'ree"', 'Des"ree', 1).encode(), "malformed CSV: a quote inside a field that is not"),
    (b'"Des\'ree","Logged In"', "2 fields, not the 18"),
    (_GOOD_ROW.encode() + b',"one too many"', "19 fields, not the 18"),
    (csv_row({**event("2018-11-01T13:00:01.000", session_id=951), "ts": "noon"}).encode(), "ts is not"),
    (csv_row({**event("2018-11-01T13:00:02.000", session_id=952), "ts": None}).encode(), "ts is not"),
    (csv_row(event("2018-11-01T13:00:03.000", user_id="eight", session_id=953)).encode(), "userId is not"),
    (csv_row({**event("2018-11-01T13:00:04.000"), "sessionId": 1.5}).encode(), "sessionId is not a whole number"),
    (csv_row({**event("2018-11-01T13:00:05.000"), "sessionId": 2**31}).encode(), "sessionId is not a whole number"),
    (csv_row({**event("2018-11-01T13:00:06.000", session_id=954), "length": "long"}).encode(), "length is not"),
    (csv_row(event("2018-11-01T13:00:07.000", session_id=955, song="Caf\u00e9")).encode("latin-1"), "not UTF-8"),
    (csv_row(event("2018-11-01T13:00:08.000", session_id=956, song="A\x00B")).encode(), "song holds a NUL"),
    # text after a closing quote, and a carriage return outside quotes: PostgreSQL's COPY refuses both
    (_GOOD_ROW.replace('"Des\'ree"', '"Des\'ree"x', 1).encode(), "malformed CSV"),
    (_GOOD_ROW.replace(",200,", ",2\r00,", 1).encode(), "malformed CSV"),
    (csv_row(event("2018-11-01T13:00:09.000", session_id=957, song="x" * records.MAX_RECORD_BYTES)).encode(), "1,048,"),
    (csv_row({**event("2018-11-01T13:00:10.000", session_id=958), "ts": 1541077210}).encode(), records.TS_REASON),
    (csv_row(event("2018-11-01T13:00:11.000", user_id="", session_id=959)).encode(), records.PLAY_WITHOUT_USER),
    (csv_row({**event("2018-11-01T13:00:12.000", session_id=960), "userId": "  "}).encode(), records.PLAY_WITHOUT_USER),
]


def write_csv_corpus(root: Path) -> list[tuple[str, int, str]]:
    """The awkward feed as CSV logs with bad rows injected; returns each one's object, line number and reason."""
    to_csv_source(write_feeds(root.with_name("json")), root)
    expected = []
    day1 = (root / CSV_DAY1).read_bytes().split(b"\n")
    lines = [*day1[:2], b"", b"  "]  # the header, a row, blank lines (no records)
    for text, reason in BAD_CSV_ROWS:
        lines.append(text)
        expected.append((CSV_DAY1, len(lines), reason))
    lines += day1[2:]
    (root / CSV_DAY1).write_bytes(b"\n".join(lines))
    # a truncated file: its last row cut inside a quoted field
    day2 = (root / CSV_DAY2).read_bytes()
    (root / CSV_DAY2).write_bytes(day2 + _GOOD_ROW[: _GOOD_ROW.index("Phoenix")].encode())
    expected.append((CSV_DAY2, day2.count(b"\n") + 1, "malformed CSV: unexpected end of data"))
    return expected


@dataclass(frozen=True)
class Corpus:
    """A clean feed, the same feed with bad records injected, and what must be rejected."""

    clean: Path
    bad: Path
    expected: list[tuple[str, int, str]]
    events_format: str

    def rejected(self, feed: str) -> int:
        return sum(key.startswith("log_data" if feed == "events" else "song_data") for key, _, _ in self.expected)


@pytest.fixture(scope="module", params=["json", "csv"])
def corpus(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    folder = tmp_path_factory.mktemp(f"corpus_{request.param}")
    if request.param == "csv":
        clean = to_csv_source(write_feeds(folder / "clean_json"), folder / "clean")
        return Corpus(clean, folder / "bad", write_csv_corpus(folder / "bad"), "csv")
    return Corpus(write_feeds(folder / "clean"), folder / "bad", write_corpus(folder / "bad"), "json")


@pytest.mark.usefixtures("prefect_harness")
def test_bad_records_are_rejected_alike_on_duckdb_and_postgresql_and_every_good_one_loads(
    corpus: Corpus, tmp_path: Path, pg_url: str
) -> None:
    clean_url, duck_url = duckdb_url(tmp_path / "clean"), duckdb_url(tmp_path / "bad")
    load = {"events_format": corpus.events_format}
    sparkify_etl(source=str(corpus.clean), warehouse=clean_url, **load)
    on_duckdb = sparkify_etl(source=str(corpus.bad), warehouse=duck_url, **load)
    on_postgres = sparkify_etl(source=str(corpus.bad), warehouse=pg_url, **load)

    # every good record loaded: the tables are the clean feed's
    assert star_contents(duck_url) == star_contents(clean_url)
    assert star_contents(pg_url) == star_contents(clean_url)
    # every bad one accounted for: where, which line, why, and its text, the same on both engines
    expected = sorted(corpus.expected)
    found = rejects(duck_url)
    assert [(obj, number) for obj, number, *_ in found] == [(f"{corpus.bad}/{o}", n) for o, n, _ in expected]
    for (_, _, reason, raw_text, _), (_, _, start) in zip(found, expected, strict=True):
        assert reason.startswith(start), reason
        assert raw_text and len(raw_text) <= records.RAW_TEXT_CHARS
    assert rejects(pg_url) == found
    # read = staged + rejected, per feed
    bad_events, bad_songs = corpus.rejected("events"), corpus.rejected("songs")
    for summary in (on_duckdb, on_postgres):
        assert (summary.staged_events, summary.rejected_events) == (len(EVENTS), bad_events)
        assert (summary.staged_songs, summary.rejected_songs) == (3, bad_songs)
        read = f"{len(EVENTS) + bad_events} records = staged {len(EVENTS)} + rejected {bad_events}"
        assert f"events: read {summary.event_files} files and {read}" in "\n".join(summary.lines())


@pytest.mark.usefixtures("prefect_harness")
def test_the_error_budget_fails_the_run_only_when_exceeded_and_reruns_keep_one_copy_of_each_reject(
    corpus: Corpus, tmp_path: Path
) -> None:
    url = duckdb_url(tmp_path)
    bad_events = corpus.rejected("events")
    load = {"source": str(corpus.bad), "warehouse": url, "events_format": corpus.events_format}
    sparkify_etl(**load, max_errors=bad_events)
    first = rejects(url)
    sparkify_etl(**load, max_errors=bad_events)
    assert rejects(url) == first and len(first) == len(corpus.expected)
    # each feed's rejects are those of the run that read them last: the unchanged song files were not read again
    per_feed = "SELECT feed, COUNT(DISTINCT run_key) FROM rejected_records GROUP BY feed ORDER BY feed"
    assert rows(url, per_feed) == [(feed, 1) for feed in ("events", "songs") if corpus.rejected(feed)]

    with pytest.raises(TooManyBadRecordsError) as failure:
        sparkify_etl(**load, max_errors=bad_events - 1)
    message = str(failure.value)
    assert f"{bad_events} of {len(EVENTS) + bad_events} events records" in message
    assert f"error budget of {bad_events - 1}" in message
    assert "rejected_records" in message
    # the failed run's rejects are there to look at, still one copy each
    assert rejects(url) == first


def test_the_rules_give_a_reason_for_each_kind_of_bad_record() -> None:
    good = line(event("2018-11-01T10:00:00.100")).encode()
    assert isinstance(records.parse_event(good), dict)
    logged_out = event("2018-11-01T10:00:00.100", user_id="", page="Home")
    assert isinstance(records.parse_event(line(logged_out).encode()), dict)
    # a play is a logged-in user's: without a userId its fact would have no user
    play = line(event("2018-11-01T10:00:00.100", user_id=""))
    assert records.parse_event(play.encode()) == records.PLAY_WITHOUT_USER
    for text, reason in BAD_LINES:
        assert str(records.parse_event(text)).startswith(reason)
    assert records.parse_event(line({**event("2018-11-01T10:00:00.100"), "ts": 10**16}).encode()).startswith("ts")
    assert records.parse_event(line({**event("2018-11-01T10:00:00.100"), "sessionId": "9"}).encode()).startswith(
        "sessionId is not a whole number"
    )
    assert records.parse_event(line({**event("2018-11-01T10:00:00.100"), "length": "long"}).encode()).startswith(
        "length is not a number"
    )
    long_line = records.Rejection.of("x", 1, "malformed JSON", b"{" * 5000)
    assert len(long_line.raw_text) == records.RAW_TEXT_CHARS


@pytest.mark.parametrize(
    ("column", "value", "loadable"),
    [
        ("sessionId", "2147483647", True),
        ("sessionId", "-2147483648", True),
        ("sessionId", "2147483648", False),
        ("sessionId", "", True),
        ("sessionId", "1e2", False),
        ("length", "1E+2", True),
        ("length", "1e308", True),
        ("length", "1e309", False),
        ("length", "01", False),
        ("length", "", True),
        # the plausible range, [2000-01-01, 2100-01-01): a ts in seconds is far below it
        ("ts", str(records.MAX_TS), True),
        ("ts", str(records.MAX_TS + 1), False),
        ("ts", str(records.MIN_TS), True),
        ("ts", str(records.MIN_TS - 1), False),
        ("ts", "1541105830", False),
        ("ts", "", False),
        ("userId", " 12 ", True),
        ("userId", "", True),
        ("userId", "-1", False),
        ("song", "a\x00b", False),
        ("song", "", True),
    ],
)
def test_csv_fields_are_held_to_the_json_events_rules_at_their_bounds(column: str, value: str, loadable: bool) -> None:
    record = [value if name == column else good for name, good in zip(EVENT_COLUMNS, _GOOD_FIELDS, strict=True)]
    if column == "userId" and not value.strip():
        record[EVENT_COLUMNS.index("page")] = "Home"  # blank: logged out, which a play never is
    result = csv_logs.parse_csv_event(",".join(f'"{field}"' for field in record).encode())
    assert isinstance(result, list) is loadable, result
    if not loadable:
        assert result.startswith(column), result


#: JSON tokens DuckDB's casts would take for a whole number or a number, and the rules refuse.
LENIENT_WHOLE = ('"12"', "true", "1.5", "1e2", "2147483648")
LENIENT_NUMBER = ('"12"', "true", '{"a": 1}', "1e400")
NUMBER_FIELDS = {
    "events": (("itemInSession", "sessionId", "status"), ("length", "registration")),
    "songs": (("num_songs", "year"), ("duration", "artist_latitude", "artist_longitude")),
}


@pytest.mark.parametrize(
    ("feed", "field", "token"),
    [
        (feed, field, token)
        for feed, (whole, numbers) in NUMBER_FIELDS.items()
        for fields, tokens in ((whole, LENIENT_WHOLE), (numbers, LENIENT_NUMBER))
        for field in fields
        for token in tokens
    ],
)
def test_duckdb_refuses_what_its_casts_would_take_as_the_rules_do(
    feed: str, field: str, token: str, tmp_path: Path
) -> None:
    root = write_source(tmp_path / "source", [event("2018-11-01T10:00:00.000")], [song("SOGOOD", "Good")])
    document = event("2018-11-01T11:00:00.000") if feed == "events" else song("SOBAD", "Bad")
    bad = json.dumps({**document, field: "<token>"}).replace('"<token>"', token).encode()
    if feed == "events":
        log = root / "log_data/2018/11/2018-11-01-events.json"
        log.write_bytes(log.read_bytes() + b"\n" + bad)
    else:
        (root / "song_data/A/B/C/TRBAD000000000001.json").write_bytes(bad)
    reason = (records.parse_event if feed == "events" else records.parse_song)(bad)
    assert isinstance(reason, str)

    url, source = duckdb_url(tmp_path), LocalSource(root)
    warehouse, run = connect(url), LoadRun.new(Window.everything())
    table = run.staging_events if feed == "events" else run.staging_songs
    warehouse.create_staging(table)
    if feed == "events":
        staged = warehouse.stage_events(table, source, source.event_keys(Window.everything()), run.key)
    else:
        staged = warehouse.stage_songs(table, source, source.song_objects(), run.key)

    assert staged == 1
    assert rows(url, "SELECT reason FROM rejected_records") == [(reason,)]


@pytest.mark.parametrize(
    ("text", "split"),
    [
        # a quoted line break is inside a record; blank lines between records are none
        (b'h\na,"b\r\nc",d\r\n\n  \ne,f\n', [(1, b"h"), (2, b'a,"b\r\nc",d\r'), (6, b"e,f")]),
        # a stray quote runs on by parity; taken apart, the rows after it split as they should
        (b'h\na,b"c,d\ne,f\ng,"h\ni",j\n', [(1, b"h"), (2, b'a,b"c,d'), (3, b"e,f"), (4, b'g,"h\ni",j')]),
        # cut short inside quotes by the end of the file: the line that opened them is one bad record
        (b'h\ne,f\na,"b', [(1, b"h"), (2, b"e,f"), (3, b'a,"b')]),
        (b'h\na,"x\ny', [(1, b"h"), (2, b'a,"x'), (3, b"y")]),
    ],
)
def test_csv_records_are_split_as_postgresql_splits_them_and_a_stray_quote_costs_one_line(
    text: bytes, split: list[tuple[int, bytes]]
) -> None:
    assert list(csv_logs.csv_records(io.BytesIO(text))) == split


def test_redshift_reads_each_copys_load_errors_back_into_rejected_records() -> None:
    planned = plan("s3://udacity-dend/sparkify", block=redshift_block(iam_role_arn=ROLE, copy_max_error=5))
    statements = [" ".join(statement.sql.split()) for statement in planned.statements]
    copies = [index for index, sql in enumerate(statements) if sql.startswith("COPY ")]
    assert len(copies) == 2
    for index, feed in zip(copies, ("events", "songs"), strict=True):
        assert "MAXERROR AS 6" in statements[index]  # COPY fails at 6 errors: the budget allows 5
        assert statements[index + 1].endswith("LOCK rejected_records")
        # then, before the screening, the rejects of the objects read are replaced and the load errors read back
        after = statements[
            index + 2 : next(i for i in range(index, len(statements)) if "UPDATE staging_" in statements[i])
        ]
        (delete,) = [sql for sql in after if "DELETE FROM rejected_records WHERE feed = " in sql]
        assert re.search(
            r"IN \(\$2 /\* 's3://udacity-dend/sparkify/(log|song)_data/<every .json object>' \*/\)$", delete
        )
        (read_back,) = [sql for sql in after if "FROM sys_load_error_detail AS errors" in sql]
        parsed = sqlglot.parse_one(planned.statements[statements.index(read_back)].sql, read="redshift")
        if feed == "events":  # straight into rejected_records
            assert isinstance(parsed, exp.Insert) and parsed.this.this.name == "rejected_records"
        else:  # the catalog's parts: the flow names each error's song file by its part and line
            assert isinstance(parsed, exp.Select)


def test_the_flow_budget_is_redshifts_maxerror() -> None:
    planned = plan("s3://udacity-dend/sparkify", block=redshift_block(iam_role_arn=ROLE), max_errors=3)
    assert sum("MAXERROR AS 4" in statement.sql for statement in planned.statements) == 2


@pytest.mark.usefixtures("prefect_harness")
def test_an_empty_csv_event_log_is_a_day_without_events(tmp_path: Path) -> None:
    root = tmp_path / "csv"
    write_feeds(root)
    shutil.rmtree(root / "log_data")
    day = root / "log_data/2018/11"
    day.mkdir(parents=True)
    (day / "2018-11-01-events.csv").write_text(csv_log(EVENTS[:4]), encoding="utf-8")
    (day / "2018-11-02-events.csv").write_bytes(b"")
    summary = sparkify_etl(source=str(root), warehouse=duckdb_url(tmp_path), events_format="csv")
    assert (summary.staged_events, summary.rejected_events) == (4, 0)


@pytest.mark.usefixtures("prefect_harness")
def test_a_source_error_is_reported_without_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nowhere"
    assert main(["--source", str(missing), "--warehouse", duckdb_url(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert f"sparkify-etl failed: source folder {missing} does not exist" in err


@pytest.mark.parametrize("song_data", ["empty", "missing"])
@pytest.mark.usefixtures("prefect_harness")
def test_a_source_without_song_files_is_reported_without_a_traceback_and_loads_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], song_data: str
) -> None:
    root = write_source(tmp_path / "source", [event("2018-11-01T10:00:00.000")], [])
    if song_data == "missing":
        (root / "song_data").rmdir()
    url = duckdb_url(tmp_path)

    assert main(["--source", str(root), "--warehouse", url]) == 1
    err = capsys.readouterr().err
    reason = "holds no song files" if song_data == "empty" else "has no song_data/ folder"
    assert f"sparkify-etl failed: {root}" in err and reason in err
    assert "Traceback" not in err
    assert rows(url, "SELECT COUNT(*) FROM songplays") == [(0,)]
