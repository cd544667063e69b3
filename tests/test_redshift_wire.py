"""Redshift as it really runs: the flow's traffic as redshift_connector puts it on the wire.

The flow runs unchanged on the real sqlalchemy-redshift dialect and redshift_connector,
the source in moto's S3 server; the connection reaches :class:`RecordingRedshift` on
loopback, which keeps each statement as the driver sent it (Parse text, Bind values)
and, like the cluster, reads each COPY's manifest from S3. The tests judge that traffic:
what Redshift would have received.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from prefect import State
from prefect_aws import AwsCredentials
from sqlalchemy_redshift.dialect import RedshiftDialect_redshift_connector
from sqlglot import exp

from bench.services import S3Server, s3_client, upload_tree
from flows.backfill import BackfillSummary, backfill
from flows.etl.flow import RunSummary, sparkify_etl
from sparkify import schema, sql
from sparkify.blocks import WarehouseConnection
from sparkify.dryrun import PLAN_RUN_KEY, plan
from sparkify.records import SONG_FIELDS, TooManyBadRecordsError, parse_song
from sparkify.window import Window
from tests.support.factories import song
from tests.support.redshift_wire import (
    REDSHIFT_RESERVED,
    SQLFLUFF_UNKNOWN,
    Received,
    RecordingRedshift,
    redirected,
    redshift_refuses,
    reserved_identifiers,
    statement_text,
)
from tests.support.samples import CATALOG, EVENTS, new_bucket, use_s3, write_feeds
from tests.test_redshift import ACCESS_KEY, PASSWORD, ROLE, SECRET_KEY, SERVERLESS_HOST, SESSION_TOKEN, parse

PROVISIONED_HOST = "sparkify.abc123.us-west-2.redshift.amazonaws.com"
#: The tables runs share and keep: every transaction that reads or writes one LOCKs it first, in this order.
PERSISTENT = frozenset(schema.LOCK_ORDER)
#: The marts: read by analysts outside any transaction, never by a run's transaction (a view cannot be locked).
MART_VIEWS = frozenset(path.rsplit("/", 1)[-1] for path in sql.script("marts", "redshift"))
BUDGET = 4
#: What the dialect asks on connecting, and how the driver opens and ends transactions: not the project's SQL.
DRIVER_STATEMENTS = {
    "begin transaction",
    "commit",
    "rollback",
    "select pg_catalog.version()",
    "select current_schema()",
    "show transaction isolation level",
}


@dataclass
class WireRun:
    received: list[Received]
    manifests: dict[str, dict[str, Any]]
    log: str
    bucket: str
    summary: RunSummary | BackfillSummary | None = None
    error: BaseException | None = None
    #: Each object a COPY read, decompressed, as the recorder read it from S3 at COPY time.
    objects_read: dict[str, bytes] = field(default_factory=dict)
    #: The rows the flow inserted into rejected_records one by one, their values in the INSERT's order.
    rejects: list[tuple[Any, ...]] = field(default_factory=list)

    def copies(self) -> list[Received]:
        return [r for r in self.received if statement_text(r.sql).startswith("COPY ")]

    def copy_of(self, feed: str) -> Received:
        """The one COPY into the feed's staging table: the two feeds stage side by side, in either order."""
        [copy] = [r for r in self.copies() if statement_text(r.sql).startswith(f"COPY staging_{feed}_")]
        return copy

    def transactions(self) -> list[list[Received]]:
        """Each session's statements between the driver's ``begin transaction`` and its commit or rollback."""
        open_: dict[int, list[Received]] = {}
        done = []
        for statement in self.received:
            if statement.sql == "begin transaction":
                open_[statement.session] = []
            elif statement.sql in ("commit", "rollback"):
                done.append(open_.pop(statement.session))
            else:
                open_[statement.session].append(statement)
        assert not open_, "a transaction was left open"
        return done


@pytest.fixture
def recorder(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> Iterator[RecordingRedshift]:
    use_s3(s3_server, monkeypatch)
    client = s3_client(s3_server)

    def read(url: str) -> bytes:
        bucket, _, key = url.removeprefix("s3://").partition("/")
        return client.get_object(Bucket=bucket, Key=key)["Body"].read()

    server = RecordingRedshift(read)
    with redirected(server):
        yield server
    server.close()


@dataclass
class Wire:
    """The S3 server, the recorder and the captured logs a wire test runs the flow with."""

    s3: S3Server
    recorder: RecordingRedshift
    caplog: pytest.LogCaptureFixture

    def bucket(self, tmp_path: Path, extra: dict[str, bytes] | None = None) -> str:
        return source_bucket(tmp_path, self.s3, extra)

    def run(self, bucket: str, **parameters: Any) -> WireRun:
        return run_flow(self.recorder, bucket, self.caplog, **parameters)

    def backfill(self, bucket: str, window: Window, concurrency: int, **parameters: Any) -> WireRun:
        """The window's hours loaded by a backfill, ``concurrency`` of them at once (each its own flow run)."""
        hours = {"start": window.start, "end": window.end, "interval": "hour", "concurrency": concurrency}
        return run_flow(self.recorder, bucket, self.caplog, flow=backfill, **hours, **parameters)


@pytest.fixture
def wire(
    s3_server: S3Server, recorder: RecordingRedshift, caplog: pytest.LogCaptureFixture, prefect_harness: None
) -> Wire:
    return Wire(s3_server, recorder, caplog)


def source_bucket(tmp_path: Path, s3_server: S3Server, extra: dict[str, bytes] | None = None) -> str:
    """The sample feeds in a new bucket under ``raw/``, plus ``extra`` objects (key: bytes)."""
    bucket = new_bucket()
    upload_tree(s3_server, bucket, "raw", write_feeds(tmp_path / "source"))
    for key, body in (extra or {}).items():
        s3_client(s3_server).put_object(Bucket=bucket, Key=f"raw/{key}", Body=body)
    return bucket


def run_flow(
    recorder: RecordingRedshift,
    bucket: str,
    caplog: pytest.LogCaptureFixture,
    *,
    host: str = PROVISIONED_HOST,
    block: str = "wire-redshift",
    flow: Callable[..., Any] = sparkify_etl,
    **parameters: Any,
) -> WireRun:
    """One run of ``flow`` (the ETL, or a backfill) on the Redshift block ``block``; what reached the recorder.

    The recorder keeps what a warehouse keeps between runs (tables, views, marts' definitions, the ledger); the
    statements, manifests and objects read are this run's alone.
    """
    fields = {
        "driver": "redshift+redshift_connector",
        "host": host,
        "port": 5439,
        "database": "dev",
        "user": "etl",
        "password": PASSWORD,
        "iam_role_arn": ROLE,
        "region": "us-west-2",
        "copy_max_error": BUDGET,
    }
    WarehouseConnection(**{**fields, **parameters.pop("block_fields", {})}).save(block, overwrite=True)
    caplog.set_level(logging.DEBUG)
    caplog.clear()
    for kept in (recorder.received, recorder.manifests, recorder.objects_read, recorder.rejects):
        kept.clear()
    run = WireRun([], {}, "", bucket)
    try:
        outcome = flow(source=f"s3://{bucket}/raw", warehouse_block=block, **parameters)
        run.summary = outcome.result() if isinstance(outcome, State) else outcome  # a backfill's state
    except Exception as error:  # the failing runs are judged by the tests
        run.error = error
    run.received, run.manifests, run.log = list(recorder.received), dict(recorder.manifests), caplog.text
    run.objects_read, run.rejects = dict(recorder.objects_read), list(recorder.rejects)
    return run


def keys_of(s3_server: S3Server, bucket: str, prefix: str) -> list[str]:
    listing = s3_client(s3_server).list_objects_v2(Bucket=bucket, Prefix=prefix)
    return sorted(obj["Key"] for obj in listing.get("Contents", []))


def filled(statement: Received) -> str:
    """The statement with each ``$n`` replaced by the value the driver bound to it, as a SQL literal."""

    def literal(match: re.Match[str]) -> str:
        value = statement.params[int(match[1]) - 1]
        if value is None:
            return "NULL"
        if isinstance(value, bool | int | float):
            return str(value)
        return "'" + str(value).replace("'", "''") + "'"

    return re.sub(r"\$(\d+)", literal, statement.sql)


def touched_tables(statement: Received) -> set[str]:
    """The tables a statement reads or writes rows of, as sqlglot's parse of it names them (CTE names among them).

    Queries, INSERT, UPDATE, DELETE, and ALTER TABLE. Not CREATE (a table is created when the run found it missing;
    a view's query reads nothing until it is queried) nor DROP (the run's own tables, a mart alone), nor LOCK.
    """
    if statement.sql in DRIVER_STATEMENTS or locked_tables(statement):
        return set()
    parsed = parsed_as_sent(statement)
    if isinstance(parsed, exp.Create | exp.Drop):
        return set()
    return {table.name for table in parsed.find_all(exp.Table)}


def locked_tables(statement: Received) -> list[str]:
    """The tables a LOCK statement lists, in its order."""
    text = statement_text(statement.sql)
    return [name.strip() for name in text.removeprefix("LOCK ").split(",")] if text.startswith("LOCK ") else []


#: Statements sqlfluff has judged, by their text with the run's key and the bound values' contents set aside: a
#: statement of the same shape parses alike, and sqlfluff takes up to a second a statement.
_JUDGED: dict[tuple[str, tuple[str, ...]], str | None] = {}
#: What varies from run to run in a statement's text: the run's key (its tables' names), the test's bucket.
_RUN_NAMES = re.compile(r"\d{12}_[0-9a-f]{16}|sparkify-[0-9a-f]{12}")


def sqlfluff_refuses(statement: Received) -> str | None:
    """What sqlfluff's Redshift grammar cannot parse in the statement as sent, its values filled in."""
    key = (_RUN_NAMES.sub("x", statement.sql), tuple(type(value).__name__ for value in statement.params))
    if key not in _JUDGED:
        _JUDGED[key] = redshift_refuses(filled(first_row(statement)))
    return _JUDGED[key]


def first_row(statement: Received) -> Received:
    """A multi-row INSERT cut to its first row: every row is the same tuple of binds, and sqlfluff takes about
    50 ms a row (a ledger INSERT has a thousand)."""
    head, values, rows = statement.sql.partition(" VALUES (")
    tuples = re.findall(r"\(([^()]*)\)", f"({rows}")
    if not values or len(tuples) < 2 or f"({'), ('.join(tuples)})" != f"({rows}":
        return statement
    width = len(tuples[0].split(", "))
    assert all(re.fullmatch(r"\$\d+(, \$\d+)*", row) and len(row.split(", ")) == width for row in tuples), statement
    assert tuples[0] == ", ".join(f"${index}" for index in range(1, width + 1)), statement
    return Received(statement.session, f"{head} VALUES ({tuples[0]})", statement.params[:width])


def assert_redshift_accepts(run: WireRun) -> None:
    """The rules every statement and every transaction on the wire must keep.

    Every statement as sent, its values filled in, parses in sqlfluff's Redshift grammar (but the dialect's own
    ``show transaction isolation level``, which the grammar lacks) and in sqlglot's; no unquoted identifier is a
    word Redshift reserves (sqlfluff accepts some of AWS's as names); no CASCADE; one lock order (see
    :func:`assert_one_lock_order`).
    """
    project = [r for r in run.received if r.sql not in DRIVER_STATEMENTS]
    assert project, "nothing reached the recorder"
    for statement in project:
        assert len(re.findall(r"\$\d+", statement.sql)) == len(statement.params), statement
        assert "%%" not in statement.sql, f"a doubled % reached Redshift: {statement.sql}"
        parsed_as_sent(statement)
    for statement in run.received:  # the dialect's own questions parse too
        assert sqlglot.parse(filled(statement), read="redshift")
        if statement.sql not in SQLFLUFF_UNKNOWN:
            refused = sqlfluff_refuses(statement)
            assert refused is None, f"sqlfluff's Redshift grammar refuses {filled(statement)}: {refused}"
        reserved = reserved_identifiers(filled(statement))
        assert not reserved, f"reserved words as bare identifiers {sorted(reserved)}: {statement.sql}"
        assert "CASCADE" not in statement_text(statement.sql).upper(), f"CASCADE reached Redshift: {statement.sql}"
    for copy in run.copies():
        assert copy.params == (), f"COPY sent with bind parameters: {copy}"
    assert_one_lock_order(run)
    for transaction in run.transactions():
        if any(statement_text(s.sql).startswith("COPY ") for s in transaction):
            assert len(transaction) == 1, f"a COPY commits on its own: {transaction}"


def assert_one_lock_order(run: WireRun) -> None:
    """A transaction that writes a persistent table starts with a LOCK; a transaction that locks, locks every
    persistent table it reads or writes in that one statement, in ``schema.LOCK_ORDER``, and reads no mart.

    The tables are those the statements sent name (sqlglot's parse), so that a statement added to a transaction
    without its table in the LOCK fails here. A transaction that only reads (a query on a connection of its own) or
    writes only the run's own tables takes no lock: it waits for no other run while holding one.
    """
    for transaction in run.transactions():
        locks = [index for index, statement in enumerate(transaction) if locked_tables(statement)]
        assert locks in ([], [0]), f"a LOCK that is not the transaction's first statement: {transaction}"
        written = set().union(*(written_tables(statement) for statement in transaction)) & PERSISTENT
        assert locks or not written, f"{sorted(written)} written without a LOCK first: {transaction}"
        if not locks:
            continue
        locked = locked_tables(transaction[0])
        assert set(locked) <= PERSISTENT, f"{locked} locks a table no run shares: {transaction}"
        assert locked == [name for name in schema.LOCK_ORDER if name in locked], f"{locked} not in LOCK_ORDER"
        touched = set().union(*(touched_tables(statement) for statement in transaction))
        assert not touched & MART_VIEWS, f"a transaction that locks reads a mart: {transaction}"
        unlocked = (touched & PERSISTENT) - set(locked)
        assert not unlocked, f"{sorted(unlocked)} read or written without first locking them: {transaction}"


def parsed_as_sent(statement: Received) -> exp.Expression:
    """sqlglot's parse of the statement, its values filled in (the rules read each statement several times)."""
    return _parsed(filled(statement))


@cache
def _parsed(text: str) -> exp.Expression:
    return parse(text)


def written_tables(statement: Received) -> set[str]:
    """The table an INSERT, UPDATE, DELETE or ALTER TABLE writes."""
    if statement.sql in DRIVER_STATEMENTS or locked_tables(statement):
        return set()
    parsed = parsed_as_sent(statement)
    if isinstance(parsed, exp.Insert | exp.Delete | exp.Update | exp.Alter):
        return {parsed.find(exp.Table).name}
    return set()


def run_key_of(run: WireRun) -> str:
    return re.search(r"staging_events_(\w+)", " ".join(r.sql for r in run.received))[1]


def assert_the_plan_is_the_traffic(run: WireRun, block: str, window: Window | None = None) -> None:
    """``plan`` prints what the run sent: the same statements, as sent (the run's key and listed objects aside)."""
    run_key = run_key_of(run)

    def normalised(sql: str) -> str:
        sql = re.sub(r"IN \(\$\d+(?:, \$\d+)*\)", "IN (…)", sql.replace(run_key, PLAN_RUN_KEY))
        # as many rows as objects listed: a plan lists none from S3
        sql = re.sub(r"VALUES \(\$\d+(?:, \$\d+)*\)(?:, \(\$\d+(?:, \$\d+)*\))*", "VALUES (…)", sql)
        return sql.replace("\r", "").strip()

    planned = plan(f"s3://{run.bucket}/raw", block=block, window=window)
    shown = [re.sub(r"(\$\d+) /\* .*? \*/", r"\1", statement.sql) for statement in planned.statements]
    sent = [r.sql for r in run.received if r.sql not in DRIVER_STATEMENTS]
    # the same statements; a run repeats some once per object or window it listed, a plan lists none from S3
    assert {normalised(sql) for sql in shown} == {normalised(sql) for sql in sent}


def copy_options(copy: Received) -> str:
    return statement_text(copy.sql)


def manifest_urls(run: WireRun, feed: str) -> list[str]:
    (url,) = [url for url in run.manifests if url.endswith(f"/{feed}.manifest")]
    entries = run.manifests[url]["entries"]
    assert all(entry["mandatory"] is True for entry in entries)
    return [entry["url"] for entry in entries]


def song_parts(run: WireRun) -> list[str]:
    """The catalog's parts the songs COPY read: gzip parts under the run's folder beside its manifests."""
    parts = manifest_urls(run, "songs")
    folder = f"s3://{run.bucket}/raw/manifests/{run_key_of(run)}/songs/"
    assert parts == [f"{folder}part-{index:05d}.json.gz" for index in range(len(parts))]
    return parts


def part_records(run: WireRun, parts: list[str]) -> list[dict[str, Any]]:
    """Every record of the parts, as the cluster read them (one JSON object a line)."""
    return [json.loads(line) for part in parts for line in run.objects_read[part].decode().splitlines()]


def test_a_full_load_sends_only_what_redshift_accepts(
    tmp_path: Path,
    wire: Wire,
) -> None:
    day = "log_data/2018/11/2018-11-01-events.json"
    bucket = wire.bucket(tmp_path, {f"{day}.bak": b"{}", f"{day}.tmp": b"{}"})
    expected_events = [
        f"s3://{bucket}/{key}" for key in keys_of(wire.s3, bucket, "raw/log_data/") if key.endswith(".json")
    ]
    expected_songs = [f"s3://{bucket}/{key}" for key in keys_of(wire.s3, bucket, "raw/song_data/")]

    run = wire.run(bucket)

    assert run.error is None, run.error
    assert_redshift_accepts(run)
    # exactly the listed objects: the .bak and .tmp beside a day file are not read
    assert manifest_urls(run, "events") == expected_events
    assert f"s3://{bucket}/raw/{day}.bak" not in expected_events and len(expected_events) == 3
    # the song files compacted into gzip parts (as many as the songs here: fewer than the cluster's 4 slices)
    parts = song_parts(run)
    assert len(parts) == len(CATALOG) == len(expected_songs)
    assert sorted(record["source_object"] for record in part_records(run, parts)) == expected_songs
    # what the cluster counted in those objects is what the run says it staged
    assert (run.summary.staged_events, run.summary.staged_songs) == (len(EVENTS), len(CATALOG))
    for copy, feed in ((run.copy_of("events"), "events"), (run.copy_of("songs"), "songs")):
        options = copy_options(copy)
        assert options.startswith(f"COPY staging_{feed}_")
        assert f"FROM 's3://{bucket}/raw/manifests/" in options and f"/{feed}.manifest'" in options
        for option in (f"IAM_ROLE '{ROLE}'", "MANIFEST", f"MAXERROR AS {BUDGET + 1}", "REGION 'us-west-2'"):
            assert option in options
        assert "CREDENTIALS" not in options
        assert (" GZIP " in f" {options} ") == (feed == "songs")
        assert isinstance(parse(copy.sql), exp.Copy)
    # the load errors are read back from SYS_LOAD_ERROR_DETAIL (every kind of cluster has it), as this session's
    # latest COPY since the run started it, in the same session, after it committed
    for copy in run.copies():
        after = run.received[run.received.index(copy) + 1 :]
        feed = "events" if copy.sql.startswith("COPY staging_events_") else "songs"
        # the events' into rejected_records at once; the parts' into the flow, which names each one's song file
        read = next(
            s
            for s in after
            if "sys_load_error_detail" in s.sql
            and (s.params[2:] == (feed,) if feed == "events" else len(s.params) == 1)
        )
        assert read.session == copy.session and "pg_backend_pid()" in read.sql and "stl_" not in read.sql
        assert isinstance(parse(filled(read)), exp.Insert if feed == "events" else exp.Select)
    # after each COPY, one locked transaction reads its load errors and moves the rows the screening rejects
    for feed in ("events", "songs"):
        (screening,) = [t for t in run.transactions() if any(f"UPDATE staging_{feed}_" in s.sql for s in t)]
        texts = [statement_text(s.sql) for s in screening]
        assert texts[0] == "LOCK rejected_records"
        assert [text.split(" ", 2)[:2] for text in texts[-3:]] == [
            ["UPDATE", f"staging_{feed}_{run_key_of(run)}"],
            ["INSERT", "INTO"],
            ["DELETE", "FROM"],
        ]
        assert any("sys_load_error_detail" in text for text in texts[1:-3])
    # the slice count was asked once, before the parts were made
    (slices,) = [r for r in run.received if "stv_slices" in r.sql]
    assert run.received.index(slices) < run.received.index(run.copy_of("songs"))
    # the manifests and the parts are removed once read
    assert keys_of(wire.s3, bucket, "raw/manifests/") == []
    assert_the_plan_is_the_traffic(run, "wire-redshift")
    for secret in (PASSWORD,):
        assert secret not in run.log


def test_a_full_load_copies_the_catalog_as_a_few_gzip_parts_not_one_object_per_song(
    tmp_path: Path,
    wire: Wire,
) -> None:
    extra = {
        f"song_data/C/{index % 4}/TRC{index:04d}.json": json.dumps(song(f"SOC{index:04d}", f"Extra {index}")).encode()
        for index in range(40)
    }
    bad = "song_data/C/X/TRCBAD.json"
    bucket = wire.bucket(tmp_path, {**extra, bad: b"not a song"})
    songs = [f"s3://{bucket}/{key}" for key in keys_of(wire.s3, bucket, "raw/song_data/")]
    good = [url for url in songs if url != f"s3://{bucket}/raw/{bad}"]
    wire.recorder.slices = 4

    run = wire.run(bucket)

    assert run.error is None, run.error
    assert_redshift_accepts(run)
    # one COPY of 4 parts (a multiple of the 4 slices) instead of one object per song file
    assert len(songs) == len(CATALOG) + 41
    parts = song_parts(run)
    assert len(parts) == 4
    # the parts hold every good song file's record exactly once, with its object and that object's LastModified
    written = part_records(run, parts)
    assert sorted(record["source_object"] for record in written) == good
    client = s3_client(wire.s3)
    for record in written:
        stored = client.get_object(Bucket=bucket, Key=record["source_object"].removeprefix(f"s3://{bucket}/"))
        assert {name: record[name] for name in SONG_FIELDS} == json.loads(stored["Body"].read())
        assert record["source_modified_at"] == round(stored["LastModified"].timestamp() * 1000)
    assert (run.summary.staged_songs, run.summary.rejected_songs) == (len(good), 1)
    # the bad file is in rejected_records, named by its object, as PostgreSQL names it; it spent the budget
    (reject,) = [values for values in run.rejects if values[1] == "songs"]
    assert reject[:6] == (
        run_key_of(run),
        "songs",
        f"s3://{bucket}/raw/{bad}",
        1,
        parse_song(b"not a song"),
        "not a song",
    )
    assert f"MAXERROR AS {BUDGET}" in run.copy_of("songs").sql
    # the rejects of every song file read were replaced first, the bad one's among them
    (screening,) = [t for t in run.transactions() if any("UPDATE staging_songs_" in s.sql for s in t)]
    replaced = {
        value
        for s in screening
        if statement_text(s.sql).startswith("DELETE FROM rejected_records")
        for value in s.params
    }
    assert set(songs) <= replaced
    # the ledger still records every song file read, the bad one too, with its ETag: in multi-row INSERTs, set-based
    inserts = [r for r in run.received if statement_text(r.sql).startswith("INSERT INTO loaded_objects")]
    rows = [r.params[start : start + 9] for r in inserts for start in range(0, len(r.params), 9)]
    assert len(inserts) < len(rows)
    ledger = {row[1]: row[2] for row in rows}
    for url in songs:
        assert ledger[url] == client.head_object(Bucket=bucket, Key=url.removeprefix(f"s3://{bucket}/"))["ETag"]
    # the manifests and the parts are gone
    assert keys_of(wire.s3, bucket, "raw/manifests/") == []


def test_an_hourly_run_copies_its_day_file_through_a_manifest_under_the_named_prefix(
    tmp_path: Path,
    wire: Wire,
) -> None:
    day = "log_data/2018/11/2018-11-01-events.json"
    bucket = wire.bucket(tmp_path, {f"{day}.bak": b"{}", f"{day}.tmp": b"not json"})
    manifests = new_bucket()
    s3_client(wire.s3).create_bucket(Bucket=manifests)

    run = wire.run(
        bucket,
        window_start=datetime(2018, 11, 1, 10),
        window_end=datetime(2018, 11, 1, 11),
        block_fields={"manifest_prefix": f"s3://{manifests}/copy"},
    )

    assert run.error is None, run.error
    assert_redshift_accepts(run)
    assert manifest_urls(run, "events") == [f"s3://{bucket}/raw/{day}"]
    assert all(url.startswith(f"s3://{manifests}/copy/") for url in run.manifests)
    # the window's facts are replaced under a lock, with the window's bounds bound as values
    (delete,) = [r for r in run.received if statement_text(r.sql).startswith("DELETE FROM songplays")]
    assert delete.params == (datetime(2018, 11, 1, 10), datetime(2018, 11, 1, 11))
    assert keys_of(wire.s3, manifests, "copy/") == []
    assert_the_plan_is_the_traffic(run, "wire-redshift", Window(datetime(2018, 11, 1, 10), datetime(2018, 11, 1, 11)))


def test_on_serverless_the_load_errors_are_read_from_sys_views_in_a_locked_transaction(
    tmp_path: Path,
    wire: Wire,
) -> None:
    bucket = wire.bucket(tmp_path)
    run = wire.run(bucket, host=SERVERLESS_HOST, block="wire-serverless")

    assert run.error is None, run.error
    assert_redshift_accepts(run)
    reads = [r for r in run.received if "sys_load_error_detail" in r.sql]
    assert len(reads) == 2 and not any("stl_" in r.sql or "stv_" in r.sql for r in run.received)
    # each in the session of its COPY, the feeds' COPYs having run side by side in two sessions
    assert sorted(r.session for r in reads) == sorted(c.session for c in run.copies())
    # no STV tables there: no slice count asked; parts for the fallback's 128 slices, one per song here
    assert not any("stv_slices" in r.sql for r in run.received)
    parts = song_parts(run)
    assert len(parts) == len(CATALOG)
    songs = [f"s3://{bucket}/{key}" for key in keys_of(wire.s3, bucket, "raw/song_data/")]
    assert sorted(record["source_object"] for record in part_records(run, parts)) == songs
    assert all(f"MAXERROR AS {BUDGET + 1}" in copy.sql for copy in run.copies())
    assert_the_plan_is_the_traffic(run, "wire-serverless")


def test_a_copy_over_the_budget_fails_the_run_with_the_budget_message_and_shows_no_secret(
    tmp_path: Path,
    wire: Wire,
) -> None:
    broken = b"\n".join(b"not a record %d" % line for line in range(BUDGET + 1))
    bucket = wire.bucket(tmp_path, {"log_data/2018/11/2018-11-09-events.json": broken})
    keys = AwsCredentials(
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, aws_session_token=SESSION_TOKEN
    )

    run = wire.run(bucket, block="wire-keys", block_fields={"iam_role_arn": None, "aws_credentials": keys})

    assert isinstance(run.error, TooManyBadRecordsError), run.error
    assert f"{BUDGET + 1} of {BUDGET + 1} events records" in str(run.error)
    assert f"error budget of {BUDGET} bad records" in str(run.error)
    # the COPY went out with the keys (it needs them), and nothing else shows them
    events_copy = run.copy_of("events")
    assert SECRET_KEY in events_copy.sql and f"MAXERROR AS {BUDGET + 1}" in events_copy.sql
    assert_redshift_accepts(run)
    for secret in (PASSWORD, SECRET_KEY, SESSION_TOKEN):
        assert secret not in run.log + repr(run.error) + str(run.error)


def test_a_denied_manifest_write_names_the_setting_that_fixes_it(
    tmp_path: Path,
    wire: Wire,
) -> None:
    run = wire.run(
        wire.bucket(tmp_path),
        block_fields={"manifest_prefix": "s3://no-such-bucket-sparkify/manifests"},
    )

    assert "manifest_prefix" in str(run.error) and "SPARKIFY_MANIFEST_PREFIX" in str(run.error)
    assert run.copies() == []


#: What Redshift answers when serializable isolation aborts a transaction (as redshift_connector reports it).
SERIALIZABLE_ABORT = {
    "S": "ERROR",
    "C": "XX000",
    "M": "1023",
    "D": "Serializable isolation violation on table - 100167, transactions forming the cycle are: 55705701, 55705754",
}


@pytest.mark.parametrize(
    ("fault", "retried"),
    [
        (SERIALIZABLE_ABORT, True),
        (None, True),  # the connection is lost
        ({"S": "ERROR", "C": "42601", "M": 'syntax error at or near "$1"'}, False),
        ({"S": "ERROR", "C": "42501", "M": "permission denied for relation songplays"}, False),
        ({"S": "ERROR", "C": "XX000", "M": "Load into table 'songplays' failed."}, False),  # XX000 alone is no abort
    ],
)
def test_an_aborted_or_cut_transaction_is_retried_and_a_mistake_fails_at_once(
    tmp_path: Path,
    wire: Wire,
    fault: dict[str, str] | None,
    retried: bool,
) -> None:
    wire.recorder.faults["DELETE FROM songplays"] = fault

    run = wire.run(wire.bucket(tmp_path))

    deletes = [r for r in run.received if statement_text(r.sql).startswith("DELETE FROM songplays")]
    # the first part the run replaces: deleted once, or again when the whole transaction is retried
    deletes = [r for r in deletes if r.params == deletes[0].params]
    assert len(deletes) == (2 if retried else 1)
    assert (run.error is None) == retried, run.error
    # the retry is the whole transaction again, lock first
    for delete in deletes:
        before = [r for r in run.received[: run.received.index(delete)] if r.session == delete.session]
        assert "songplays" in locked_tables(before[-1]) and before[-2].sql == "begin transaction"


def test_a_copy_the_cluster_refuses_fails_at_once_its_error_showing_no_secret(tmp_path: Path, wire: Wire) -> None:
    wire.recorder.faults["COPY staging_songs_"] = {
        "S": "ERROR",
        "C": "XX000",
        "M": "S3ServiceException:Access Denied,Status 403,Error AccessDenied",
    }
    keys = AwsCredentials(
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, aws_session_token=SESSION_TOKEN
    )

    run = wire.run(
        wire.bucket(tmp_path), block="wire-refused", block_fields={"iam_role_arn": None, "aws_credentials": keys}
    )

    assert "Access Denied" in str(run.error)
    assert len([copy for copy in run.copies() if copy.sql.startswith("COPY staging_songs_")]) == 1  # not retried
    assert "COPY staging_songs_" in str(run.error)  # the statement is shown, its secrets masked
    # refused before loading, it has no load errors: pg_last_copy_id() would name the events' COPY
    songs_copy = run.copy_of("songs")
    after = [r for r in run.received[run.received.index(songs_copy) + 1 :] if r.session == songs_copy.session]
    assert not [r for r in after if "load_error" in r.sql.lower()]
    for secret in (PASSWORD, SECRET_KEY, SESSION_TOKEN):
        assert secret not in run.log + repr(run.error) + str(run.error)


# -- the strict rules, judged on their own ------------------------------------------------------------------------


def recorded(*statements: str) -> WireRun:
    """A run that sent ``statements`` in one transaction of one session."""
    sent = [Received(1, sql, ()) for sql in ("begin transaction", *statements, "commit")]
    return WireRun(sent, {}, "", "bucket")


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT source_object, identity FROM loaded_objects",  # sqlfluff's grammar and the word lists refuse it
        "SELECT MAX(identity) FROM loaded_objects",
        "SELECT interval FROM songplays",  # sqlfluff's grammar takes it as a name; AWS reserves it
        "SELECT plays AS wallet FROM sessions",
        "WITH gzip AS (SELECT 1 AS one) SELECT one FROM gzip",
        "LOCK songs, identity",
        "DROP VIEW IF EXISTS sessions CASCADE",
    ],
)
def test_the_strict_rules_refuse_a_reserved_word_as_a_bare_name_and_cascade(statement: str) -> None:
    with pytest.raises(AssertionError):
        assert_redshift_accepts(recorded(statement))


def test_the_strict_rules_take_a_reserved_word_quoted() -> None:
    assert_redshift_accepts(
        recorded(
            "LOCK loaded_objects",
            'ALTER TABLE loaded_objects RENAME COLUMN "identity" TO object_identity',
            'SELECT MAX("identity") FROM loaded_objects',
            'SELECT "interval" FROM staging_events_x',
        )
    )


@pytest.mark.parametrize(
    ("statements", "broken"),
    [
        (["LOCK songplays", "DELETE FROM songplays", "INSERT INTO users (user_id) VALUES (1)"], "users"),
        (["DELETE FROM songplays WHERE song_id IN (SELECT song_id FROM song_catalog)"], "a LOCK first"),
        (["LOCK songplays, song_catalog", "DELETE FROM songplays"], "LOCK_ORDER"),
        (["INSERT INTO songplays (songplay_id) VALUES ('x')", "LOCK songplays"], "first statement"),
        (["LOCK songplays", "DELETE FROM songplays WHERE song_id IN (SELECT song_id FROM song_catalog)"], "catalog"),
        (["LOCK mart_definitions", "INSERT INTO mart_definitions (view_name) SELECT 'x' FROM sessions"], "a mart"),
    ],
)
def test_the_lock_discipline_is_derived_from_the_statements(statements: list[str], broken: str) -> None:
    with pytest.raises(AssertionError, match=broken):
        assert_one_lock_order(recorded(*statements))
    # the discipline kept: every table read or written locked first, in LOCK_ORDER; the run's own tables free
    assert_one_lock_order(
        recorded(
            "LOCK song_catalog, songplays",
            "DELETE FROM songplays WHERE song_id IN (SELECT song_id FROM song_catalog)",
            "INSERT INTO staging_songplays_x (songplay_id) SELECT songplay_id FROM songplays",
        )
    )


#: A value for each ``{{ placeholder }}`` of sql/: the names a run gives them.
PLACEHOLDERS: dict[str, str | list[str]] = {
    "staging_events": "staging_events_202701010000_0123456789abcdef",
    "staging_songs": "staging_songs_202701010000_0123456789abcdef",
    **{f"window_{name}": f"staging_{name}_202701010000_0123456789abcdef" for name in ("songplays", "users", "time")},
    "written": "staging_songplays_202701010000_0123456789abcdef",
    "table": "songplays",
    "column": "user_id",
    "parent_table": "users",
    "parent_column": "user_id",
    "view": "sessions",
    "tables": list(schema.LOCK_ORDER),
}


def redshift_files() -> list[str]:
    """Every statement path Redshift reads: the shared files and sql/redshift/'s (which replace some)."""
    other_engines = {"duckdb", "postgresql"}
    files = [path.relative_to(sql.SQL_DIR) for path in sql.SQL_DIR.rglob("*.sql")]
    return sorted(
        {str(path.with_suffix("")).removeprefix("redshift/") for path in files if path.parts[0] not in other_engines}
    )


def test_every_sql_file_redshift_reads_parses_in_its_grammar_and_names_no_reserved_word() -> None:
    dialect = RedshiftDialect_redshift_connector()
    refused = {}
    for path in redshift_files():
        text = sql.render(path, dialect, PLACEHOLDERS)
        # the binds filled as values: a list where the file expands one (IN :objects)
        text = re.sub(r"\bIN :[a-z_]+\b", "IN ('2018-11-01 00:00:00')", text)
        text = re.sub(r"(?<![:\w]):[a-z_]+\b", "'2018-11-01 00:00:00'", text)
        if problem := redshift_refuses(text) or reserved_identifiers(text):
            refused[path] = problem
    assert len(redshift_files()) > 50
    assert refused == {}


def test_no_table_or_column_the_warehouse_declares_is_a_reserved_word() -> None:
    """The dialect quotes them in its DDL, but the hand-written SQL names them bare."""
    tables = [*schema.metadata.tables.values(), schema.staging_events("staging_events"), schema.staging_songs("s")]
    names = {table.name for table in tables} | {column.name for table in tables for column in table.columns}
    assert names & REDSHIFT_RESERVED == set()
    assert "identity" in REDSHIFT_RESERVED and "interval" in REDSHIFT_RESERVED  # AWS's, and sqlalchemy-redshift's


# -- the runs the issue names, on both kinds of Redshift, against a warehouse the previous release created ---------

#: The catalog's columns in the previous release; compaction added the others.
OLD_CATALOG_COLUMNS = ("song_id", "artist_id", "title", "artist_name", "duration")
HOUR = Window(datetime(2018, 11, 1, 10), datetime(2018, 11, 1, 11))


def previous_release() -> dict[str, list[str]]:
    """The tables the previous release created, by their columns: the ledger's ``identity`` column (not yet
    object_identity), users without last_seen_at, the catalog without compaction's columns, no check_results nor
    mart_definitions."""
    tables = {table.name: [column.name for column in table.columns] for table in schema.metadata.tables.values()}
    tables["loaded_objects"] = [name.replace("object_identity", "identity") for name in tables["loaded_objects"]]
    tables["users"].remove("last_seen_at")
    tables["song_catalog"] = list(OLD_CATALOG_COLUMNS)
    del tables["check_results"], tables["mart_definitions"]
    return tables


def texts(run: WireRun) -> list[str]:
    return [statement_text(statement.sql) for statement in run.received]


#: Sent by every staging of rejects (``Warehouse.replace_rejects``), for staging run without a run: it changes nothing.
_REJECTS_GUARD = "CREATE TABLE IF NOT EXISTS rejected_records"


def ddl(run: WireRun) -> list[str]:
    """What a run created, altered or dropped, the run's own tables aside."""
    return [
        text
        for text in texts(run)
        if text.startswith(("CREATE ", "ALTER ", "DROP "))
        and "staging_" not in text
        and not text.startswith(_REJECTS_GUARD)
    ]


def assert_window_reads(run: WireRun) -> None:
    """Every statement that reads songplays or time reads the window's rows alone: a start_time bound (the sort key
    prunes the rest), or a match by key to rows of the run's own tables (staging_…)."""
    for statement in run.received:
        if statement.sql in DRIVER_STATEMENTS or locked_tables(statement):
            continue
        parsed = parsed_as_sent(statement)
        if isinstance(parsed, exp.Create | exp.Drop):
            continue
        own = {table.alias_or_name for table in parsed.find_all(exp.Table) if table.name.startswith("staging_")}
        for table in parsed.find_all(exp.Table):
            target = isinstance(table.parent, exp.Insert) or isinstance(table.parent.parent, exp.Insert)
            if table.name not in ("songplays", "time") or target:
                continue
            where = table.find_ancestor(exp.Select, exp.Delete, exp.Update).args.get("where")
            bounded = where is not None and any(
                isinstance(bound.this, exp.Column) and bound.this.name == "start_time"
                for bound in where.find_all(exp.GTE, exp.GT)
            )
            keyed = where is not None and (
                any(column.table in own for column in where.find_all(exp.Column))
                or any(inner.name.startswith("staging_") for inner in where.find_all(exp.Table))
            )
            assert bounded or keyed, f"{table.name} read beyond the window: {filled(statement)}"


@pytest.mark.parametrize("host", [PROVISIONED_HOST, SERVERLESS_HOST], ids=["provisioned", "serverless"])
def test_the_runs_on_a_warehouse_of_the_previous_release_migrate_it_and_send_only_what_redshift_accepts(
    tmp_path: Path, wire: Wire, host: str
) -> None:
    wire.recorder.columns = previous_release()
    wire.recorder.views = set(MART_VIEWS)  # the previous release's marts, no definition recorded
    bucket = wire.bucket(tmp_path)
    songs = [f"s3://{bucket}/{key}" for key in keys_of(wire.s3, bucket, "raw/song_data/")]
    on = {"host": host, "block": f"wire-{'serverless' if 'serverless' in host else 'provisioned'}-migrated"}

    # a full load: the ledger's column renamed before anything names it, the new columns added, no table dropped
    full = wire.run(bucket, **on)
    assert full.error is None, full.error
    assert_redshift_accepts(full)
    rename = texts(full).index('ALTER TABLE loaded_objects RENAME COLUMN "identity" TO object_identity')
    assert not [text for text in texts(full)[:rename] if "object_identity" in text]
    added = [text.split()[2] + "." + text.split()[5] for text in ddl(full) if " ADD COLUMN " in text]
    new_catalog = [column.name for column in schema.song_catalog.columns if column.name not in OLD_CATALOG_COLUMNS]
    assert sorted(added) == sorted(["users.last_seen_at", *(f"song_catalog.{name}" for name in new_catalog)])
    created = [text.split()[5] for text in ddl(full) if text.startswith("CREATE TABLE")]
    assert sorted(created) == ["check_results", "mart_definitions"]
    assert wire.recorder.columns == {
        table.name: [column.name for column in table.columns] for table in (*schema.STAR_SCHEMA, *schema.BOOKKEEPING)
    }
    # each mart created once from its file (no definition was recorded), and recorded
    views = [text.split()[4] for text in ddl(full) if text.startswith("CREATE OR REPLACE VIEW")]
    assert sorted(views) == sorted(MART_VIEWS) == sorted(wire.recorder.mart_definitions)
    assert sorted(record["source_object"] for record in part_records(full, song_parts(full))) == songs

    # an hourly window: no DDL (the tables are as declared, the marts' files unchanged), the catalog unchanged
    hourly = wire.run(bucket, window_start=HOUR.start, window_end=HOUR.end, **on)
    assert hourly.error is None, hourly.error
    assert_redshift_accepts(hourly)
    assert ddl(hourly) == []
    assert [copy.sql.split()[1].rsplit("_", 2)[0] for copy in hourly.copies()] == ["staging_events"]
    assert_window_reads(hourly)

    # two overlapping windows: a backfill of two hours, both in flight at once
    overlapping = wire.backfill(bucket, Window(HOUR.start, HOUR.end + (HOUR.end - HOUR.start)), 2, **on)
    assert overlapping.error is None, overlapping.error
    assert overlapping.summary.ok and len(overlapping.summary.outcomes) == 2
    assert_redshift_accepts(overlapping)
    assert ddl(overlapping) == []
    # each window's run its own engine, so its own sessions
    runs: dict[str, set[int]] = {}
    for statement in overlapping.received:
        for key in re.findall(r"staging_events_(\w+)", statement.sql):
            runs.setdefault(key, set()).add(statement.session)
    assert len(runs) == 2 and not set.intersection(*runs.values())
    assert_window_reads(overlapping)

    # a full refresh: every song file compacted and copied again; of the marts, only the one whose file changed
    # (as if: its recorded digest is another) is replaced, in place
    wire.recorder.mart_definitions["sessions"] = "the digest of an earlier sessions.sql"
    refresh = wire.run(bucket, full_refresh=True, **on)
    assert refresh.error is None, refresh.error
    assert_redshift_accepts(refresh)
    assert [text.split(" AS ")[0] for text in ddl(refresh)] == ["CREATE OR REPLACE VIEW sessions"]
    assert sorted(record["source_object"] for record in part_records(refresh, song_parts(refresh))) == songs
