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
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from prefect_aws import AwsCredentials
from sqlglot import exp

from flows.etl.flow import RunSummary, sparkify_etl
from sparkify import schema
from sparkify.blocks import WarehouseConnection
from sparkify.dryrun import PLAN_RUN_KEY, plan
from sparkify.records import SONG_FIELDS, TooManyBadRecordsError, parse_song
from sparkify.window import Window
from tests.factories import song
from tests.redshift_wire import Received, RecordingRedshift, redirected, statement_text
from tests.samples import CATALOG, EVENTS, new_bucket, use_s3, write_feeds
from tests.services import S3Server, s3_client, upload_tree
from tests.test_redshift import ACCESS_KEY, PASSWORD, ROLE, SECRET_KEY, SERVERLESS_HOST, SESSION_TOKEN, parse

PROVISIONED_HOST = "sparkify.abc123.us-west-2.redshift.amazonaws.com"
SHARED_TABLES = {table.name for table in (*schema.STAR_SCHEMA, schema.rejected_records)}
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
    summary: RunSummary | None = None
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
    **parameters: Any,
) -> WireRun:
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
    run = WireRun([], {}, "", bucket)
    try:
        run.summary = sparkify_etl(source=f"s3://{bucket}/raw", warehouse_block=block, **parameters)
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


def written_tables(statement: Received) -> set[str]:
    if statement.sql in DRIVER_STATEMENTS:
        return set()
    parsed = parse(filled(statement))
    if isinstance(parsed, exp.Insert | exp.Delete | exp.Update):
        return {parsed.find(exp.Table).name}
    return set()


def locked_tables(statement: Received) -> set[str]:
    text = statement_text(statement.sql)
    return {name.strip() for name in text.removeprefix("LOCK ").split(",")} if text.startswith("LOCK ") else set()


def assert_redshift_accepts(run: WireRun) -> None:
    """The rules every statement and every transaction on the wire must keep."""
    project = [r for r in run.received if r.sql not in DRIVER_STATEMENTS]
    assert project, "nothing reached the recorder"
    for statement in project:
        assert len(re.findall(r"\$\d+", statement.sql)) == len(statement.params), statement
        assert "%%" not in statement.sql, f"a doubled % reached Redshift: {statement.sql}"
        parse(filled(statement))
    for statement in run.received:  # the dialect's own questions parse too
        assert sqlglot.parse(filled(statement), read="redshift")
    for copy in run.copies():
        assert copy.params == (), f"COPY sent with bind parameters: {copy}"
    for transaction in run.transactions():
        written = set().union(*(written_tables(s) for s in transaction)) & SHARED_TABLES
        if not written:
            continue
        leading_locks = set()
        for statement in transaction:
            if not locked_tables(statement):
                break
            leading_locks |= locked_tables(statement)
        assert written <= leading_locks, f"{written} written without first locking them: {transaction}"
    for transaction in run.transactions():
        if any(statement_text(s.sql).startswith("COPY ") for s in transaction):
            assert len(transaction) == 1, f"a COPY commits on its own: {transaction}"


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
