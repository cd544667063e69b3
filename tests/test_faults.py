"""Faults, each tested with the real components: kill -9, a terminated connection, a flaky S3.

A run's facts are replaced per window in one transaction and each dimension is
upserted in one, so whatever a fault interrupts, the next run (or the task's
retry) leaves the tables exactly as one clean run does.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
import uuid
from collections.abc import Iterator
from http.client import HTTPConnection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import psycopg
import pytest
from sqlalchemy.engine import make_url

from bench.services import LOOPBACK, PostgresServer, PrefectServer, S3Server, create_database, upload_tree
from sparkify.sample import GeneratorConfig, generate
from sparkify.warehouse import connect
from tests.support import flow_runs
from tests.support.helpers import duckdb_url, rows, star_contents
from tests.test_bad_records import rejects, write_corpus

#: Four days of plays: small enough to run in seconds, large enough for every table to hold rows.
CONFIG = GeneratorConfig(events=3000, songs=100, users=40, days=4)


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(generate(tmp_path_factory.mktemp("source"), CONFIG).root)


def clean_run(server: PrefectServer, source: str, warehouse: str) -> dict[str, list[tuple]]:
    flow_runs.finish(flow_runs.start(server, "--source", source, "--warehouse", warehouse))
    return star_contents(warehouse)


def libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextlib.contextmanager
def locked(url: str, table: str) -> Iterator[psycopg.Connection]:
    """Holds ``table`` locked from a second connection: the run stops at the first statement that writes it.

    Reads go on: the marts' views, replaced when the tables are created, read the tables they select from.
    """
    with psycopg.connect(libpq(url)) as conn:
        conn.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        yield conn
        conn.rollback()


def waiting_on_a_lock(url: str, holding: str | None = None) -> list[int]:
    """The backends of the run that wait for the test's lock.

    With ``holding`` (a LIKE pattern), only those whose transaction holds a table so named: which of two tasks
    waiting on the same lock a backend belongs to, when their statements read alike.
    """
    with psycopg.connect(libpq(url), autocommit=True) as conn:
        return [
            pid
            for (pid,) in conn.execute(
                """
                SELECT pid FROM pg_stat_activity AS activity
                WHERE datname = current_database() AND wait_event_type = 'Lock'
                  AND (%(holding)s::text IS NULL OR EXISTS (
                      SELECT FROM pg_locks JOIN pg_class ON pg_class.oid = pg_locks.relation
                      WHERE pg_locks.pid = activity.pid AND pg_locks.granted AND pg_class.relname LIKE %(holding)s
                  ))
                """,
                {"holding": holding},
            )
        ]


def test_kill_9_at_any_point_then_a_new_run_leaves_postgresql_as_one_clean_run(
    source: str, pg_url: str, postgres: PostgresServer, prefect_api: PrefectServer
) -> None:
    reference = clean_run(prefect_api, source, create_database(postgres, f"reference_{uuid.uuid4().hex[:8]}"))
    connect(pg_url).create_tables()  # what the run's first task does: the test needs tables to lock

    # each run stops on a table the test holds, after the step named, and is killed there
    for table, done in (("songplays", "stage-events"), ("users", "build-songplays"), ("time", "build-time")):
        with locked(pg_url, table):
            since = flow_runs.now()
            run = flow_runs.start(prefect_api, "--source", source, "--warehouse", pg_url)
            flow_runs.wait_for(
                lambda since=since, done=done: (
                    flow_runs.task_runs(prefect_api, since, done, ("COMPLETED",)) and waiting_on_a_lock(pg_url)
                ),
                f"{done} to complete and the run to wait on {table}",
                run,
            )
            flow_runs.kill(run)
        assert run.returncode == -9

    assert connect(pg_url).staging_tables(), "the crashed runs left no staging tables"
    assert clean_run(prefect_api, source, pg_url) == reference


@pytest.mark.parametrize("done", ["stage-events", "load-catalog", "build-songplays", "publish-window", "report-checks"])
def test_kill_9_then_a_new_run_leaves_duckdb_as_one_clean_run(
    done: str, source: str, tmp_path: Path, prefect_api: PrefectServer, reference_duckdb: dict
) -> None:
    url = duckdb_url(tmp_path)
    since = flow_runs.now()
    run = flow_runs.start(prefect_api, "--source", source, "--warehouse", url)
    flow_runs.wait_for(lambda: flow_runs.task_runs(prefect_api, since, done, ("COMPLETED",)), done, run)
    flow_runs.kill(run)
    # the dead run's lock on the file went with it: the next run neither waits nor fails
    assert clean_run(prefect_api, source, url) == reference_duckdb


@pytest.fixture(scope="module")
def reference_duckdb(source: str, prefect_api: PrefectServer, tmp_path_factory: pytest.TempPathFactory) -> dict:
    return clean_run(prefect_api, source, duckdb_url(tmp_path_factory.mktemp("reference")))


def test_a_load_whose_connection_is_terminated_is_retried_to_the_same_tables(
    source: str, pg_url: str, postgres: PostgresServer, prefect_api: PrefectServer
) -> None:
    reference = clean_run(prefect_api, source, create_database(postgres, f"reference_{uuid.uuid4().hex[:8]}"))
    connect(pg_url).create_tables()
    with locked(pg_url, "users") as admin:
        since = flow_runs.now()
        run = flow_runs.start(prefect_api, "--source", source, "--warehouse", pg_url)
        (pid,) = flow_runs.wait_for(lambda: waiting_on_a_lock(pg_url), "publish-window to wait on users", run)
        assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone() == (True,)
    flow_runs.finish(run)

    (users,) = flow_runs.task_runs(prefect_api, since, "publish-window", ("COMPLETED",))
    assert users["run_count"] == 2
    assert star_contents(pg_url) == reference
    # the retry of a load is the same transaction again; nothing of the run is left behind
    assert rows(pg_url, "SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'staging%'") == []


@pytest.fixture(scope="module")
def bad_source(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, int]:
    """A source with bad records in both feeds, and how many: a retried staging must not keep them twice."""
    root = tmp_path_factory.mktemp("bad_source")
    return str(root), len(write_corpus(root))


@pytest.mark.parametrize("feed", ["events", "songs"])
def test_a_staging_whose_connection_is_terminated_is_retried_to_the_same_tables(
    feed: str, bad_source: tuple[str, int], pg_url: str, postgres: PostgresServer, prefect_api: PrefectServer
) -> None:
    source, bad_records = bad_source
    reference_url = create_database(postgres, f"reference_{uuid.uuid4().hex[:8]}")
    reference = clean_run(prefect_api, source, reference_url)
    connect(pg_url).create_tables()
    # a staging keeps its rejects after its COPY, in the COPY's transaction: both stagings stop there, rows
    # copied, nothing committed; the backend holding this feed's staging table is the one to terminate
    with locked(pg_url, "rejected_records") as admin:
        since = flow_runs.now()
        run = flow_runs.start(prefect_api, "--source", source, "--warehouse", pg_url)
        (pid,) = flow_runs.wait_for(
            lambda: waiting_on_a_lock(pg_url, holding=f"staging_{feed}_%"),
            f"stage-{feed} to wait on rejected_records, its COPY done",
            run,
        )
        assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone() == (True,)
    flow_runs.finish(run)

    other = "songs" if feed == "events" else "events"
    (retried,) = flow_runs.task_runs(prefect_api, since, f"stage-{feed}", ("COMPLETED",))
    (untouched,) = flow_runs.task_runs(prefect_api, since, f"stage-{other}", ("COMPLETED",))
    assert (retried["run_count"], untouched["run_count"]) == (2, 1)
    assert star_contents(pg_url) == reference
    # the terminated attempt's rows and rejects went with its transaction: the retry keeps one copy of each
    assert rejects(pg_url) == rejects(reference_url)
    assert len(rejects(pg_url)) == bad_records
    assert connect(pg_url).staging_tables() == []


# --------------------------------------------------------------------------- a flaky S3


class FlakyProxy(BaseHTTPRequestHandler):
    """Forwards to moto, but answers one request in five with 500, 503 or SlowDown, as S3 under load does.

    The first event log fetched is cut short instead: its body ends before its Content-Length.
    """

    upstream: str = ""
    #: More requests than a run of the test source makes: a client stuck in a loop fails, it does not hang.
    budget = 2000
    counter = itertools.count()
    faults: ClassVar[list[str]] = []
    truncated: ClassVar[set[str]] = set()
    lock = threading.Lock()
    ANSWERS = (
        (500, "InternalError", "We encountered an internal error. Please try again."),
        (503, "ServiceUnavailable", "Please reduce your request rate."),
        (503, "SlowDown", "Please reduce your request rate."),
    )

    def _forward(self) -> None:
        number = next(self.counter)
        if number >= self.budget:
            self._answer(400, "TooManyRequests", "the test proxy's request budget is spent")
            return
        if number % 5 == 1:
            # SlowDown once: more would have botocore's adaptive mode pace the test's client for minutes
            status, code, message = self.ANSWERS[2] if number == 1 else self.ANSWERS[(number // 5) % 2]
            self.faults.append(code)
            self._answer(status, code, message)
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        upstream = HTTPConnection(self.upstream, timeout=10)
        try:
            upstream.request(self.command, self.path, body=body, headers=dict(self.headers))
            response = upstream.getresponse()
            data = response.read()
        finally:
            upstream.close()
        with self.lock:
            cut = self.command == "GET" and "/log_data/" in self.path and not self.truncated
            cut = cut and response.status == 200
            if cut:
                self.truncated.add(self.path)
        self.send_response(response.status)
        for name, value in response.getheaders():
            if name.lower() not in ("transfer-encoding", "connection", "date", "server"):
                self.send_header(name, value)
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data[: len(data) // 2] if cut else data)
        self.close_connection = True

    def _answer(self, status: int, code: str, message: str) -> None:
        body = f"<Error><Code>{code}</Code><Message>{message}</Message></Error>".encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _forward

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def flaky_s3(s3_server: S3Server) -> Iterator[str]:
    """The proxy's endpoint, for ``AWS_ENDPOINT_URL``; stopped with the test."""
    FlakyProxy.upstream = f"{s3_server.host}:{s3_server.port}"
    FlakyProxy.counter = itertools.count()
    FlakyProxy.faults, FlakyProxy.truncated = [], set()
    proxy = ThreadingHTTPServer((LOOPBACK, 0), FlakyProxy)
    proxy.daemon_threads = True
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{LOOPBACK}:{proxy.server_address[1]}"
    finally:
        proxy.shutdown()
        proxy.server_close()
        thread.join(10)


@pytest.mark.parametrize("engine", ["duckdb", "postgresql"])
def test_a_run_from_an_s3_failing_part_of_the_time_loads_what_the_folder_loads(
    engine: str,
    source: str,
    tmp_path: Path,
    s3_server: S3Server,
    flaky_s3: str,
    request: pytest.FixtureRequest,
    prefect_api: PrefectServer,
    reference_duckdb: dict,
) -> None:
    bucket = f"flaky-{uuid.uuid4().hex[:12]}"
    upload_tree(s3_server, bucket, "feeds", source)
    url = duckdb_url(tmp_path) if engine == "duckdb" else request.getfixturevalue("pg_url")
    env = {
        "AWS_ENDPOINT_URL": flaky_s3,
        "AWS_ACCESS_KEY_ID": s3_server.access_key_id,
        "AWS_SECRET_ACCESS_KEY": s3_server.secret_access_key,
        "AWS_DEFAULT_REGION": s3_server.region,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    started = time.monotonic()
    since = flow_runs.now()
    flow_runs.finish(flow_runs.start(prefect_api, "--source", f"s3://{bucket}/feeds", "--warehouse", url, **env))

    assert star_contents(url) == reference_duckdb
    assert {"InternalError", "ServiceUnavailable", "SlowDown"} <= set(FlakyProxy.faults)
    # botocore retried the error answers; the cut-off body failed its task's attempt, which the policy retried
    assert FlakyProxy.truncated
    (staged,) = flow_runs.task_runs(prefect_api, since, "stage-events", ("COMPLETED",))
    assert staged["run_count"] == 2
    assert time.monotonic() - started < 120
