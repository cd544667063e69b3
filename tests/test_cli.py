"""The command line as a person meets it: one specification of the options, one exit code per outcome, one line
for an error, no traceback, and a run that cannot reach what it needs stopping at once, never retried."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
import duckdb
import pytest
import sqlalchemy as sa
from prefect.utilities.callables import parameter_schema_from_entrypoint
from sqlalchemy.engine import make_url

from bench.services import PostgresServer, PrefectServer, S3Server, s3_env
from flows import cli as command_line
from flows.cli import EXIT_CODES, EXIT_FAILED, main
from sparkify import options, quality, steps
from sparkify.config import BACKENDS
from sparkify.warehouse import _ENGINES, connect
from tasks import TASKS, TaskRunner
from tasks.policy import is_permanent, is_transient
from tests.support import flow_runs
from tests.support.factories import event, song, write_source
from tests.support.helpers import duckdb_url, password_login, rows, run_steps

REPO = Path(__file__).resolve().parents[1]
CATALOG = [song("SOX", "You Gotta Be", artist_id="ARX", artist_name="Des'ree", duration=246.30812)]
#: Two days of plays: three on the 10th, one on the 11th.
PLAYS = [
    event("2018-11-10T10:00:00.100", item=0),
    event("2018-11-10T10:04:00.100", item=1, level="paid"),
    event("2018-11-10T23:59:59.999", item=2),
    event("2018-11-11T08:00:00.000", item=3),
]
#: A retry would wait this long: a run that fails fast ends well before.
RETRY_DELAY_S = 120


# -- one specification ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entrypoint", "parameters"),
    [
        ("flows/etl/flow.py:sparkify_etl", options.ETL_PARAMETERS),
        ("flows/backfill.py:sparkify_backfill", options.BACKFILL_PARAMETERS),
        ("flows/audit.py:sparkify_audit", options.AUDIT_PARAMETERS),
    ],
)
def test_each_flows_parameters_are_the_options_names_defaults_and_help(entrypoint: str, parameters: tuple) -> None:
    """What ``prefect deploy`` reads from the source and the UI shows: the specification, parameter for parameter."""
    schema = parameter_schema_from_entrypoint(str(REPO / entrypoint))
    assert list(schema.properties) == [option.name for option in parameters]
    for option in parameters:
        shown = schema.properties[option.name]
        assert " ".join(shown["description"].split()) == option.help, option.name
        assert shown.get("default") == (None if option.required else option.default), option.name
        assert (option.name in schema.required) == option.required, option.name


@pytest.mark.parametrize(
    ("command", "specified"),
    [
        ("run", options.RUN_OPTIONS),
        ("plan", options.PLAN_OPTIONS),
        ("backfill", options.BACKFILL_OPTIONS),
        ("report", options.REPORT_OPTIONS),
        ("audit", options.WAREHOUSE_ONLY),
        ("health", options.WAREHOUSE_ONLY),
        ("forget", options.FORGET_OPTIONS),
    ],
)
def test_every_command_takes_its_options_from_the_specification(command: str, specified: tuple) -> None:
    built = [param for param in command_line.cli.commands[command].params if isinstance(param, click.Option)]
    assert [(param.name, param.opts) for param in built] == [(option.name, [option.flag]) for option in specified]
    for param, option in zip(built, specified, strict=True):
        assert param.help == command_line._in_options(option.cli_help or option.help)
        assert param.required == option.required


def test_help_lists_every_command_and_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    listed = out[out.index("Commands:") :].splitlines()[1:8]
    assert sorted(line.split()[0] for line in listed) == sorted(command_line.cli.commands)
    text = " ".join(out.split())
    for code, meaning in EXIT_CODES.items():
        assert f"{code} {' '.join(meaning.split())}" in text


def test_every_backend_a_url_may_name_has_its_engine() -> None:
    assert set(_ENGINES) == set(BACKENDS)


# -- mistakes: exit code 2, one line, before anything runs ---------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--warehouse", "mysql://x"], "error: --warehouse: unsupported warehouse 'mysql'"),
        (["--warehouse", "not a url"], "error: --warehouse: the warehouse 'not a url' is not a SQLAlchemy URL"),
        (["--window-start", "2018-11-02", "--window-end", "2018-11-01"], "error: --window-start 2018-11-02 00:00:00"),
        (["--window-start", "2018-11-01"], "error: give both --window-start and --window-end"),
        (["--window-start", "yesterday"], "error: Invalid value for '--window-start': 'yesterday' is not an ISO"),
        (["plan", "--max-errors", "-1"], "error: the error budget (--max-errors) must be from 0 to 99,999"),
        (["plan", "--lookback-days", "-1"], "error: --lookback-days must be 0 or more"),
        (["plan", "--events-format", "xml"], "error: --events-format: unknown events format 'xml'"),
        (["backfill", "--start", "2018-11-05", "--end", "2018-11-01"], "error: --end: the range from start"),
        (["backfill", "--start", "2018-11-05", "--end", "2018-11-06", "--interval", "week"], "error: --interval"),
        (["backfill", "--start", "2018-11-05", "--end", "2018-11-06", "--concurrency", "0"], "error: --concurrency"),
        (["backfill", "--end", "2018-11-06"], "error: Missing option '--start'"),
        (
            ["--lookback-days", "1", "backfill", "--start", "2018-11-05", "--end", "2018-11-06"],
            "error: --lookback-days is no option of backfill",
        ),
        (["report", "--window-start", "2018-11-05"], "error: give both --window-start and --window-end"),
        (
            ["forget", "--start", "2018-11-05T10:00", "--end", "2018-11-05"],
            "error: Invalid value for '--start': '2018-11-05T10:00' is not an ISO date",
        ),
        (["forget", "--start", "2018-11-05", "--end", "2018-11-04"], "error: --end: the range from start"),
        (["health", "--warehouse", "mysql://x"], "error: --warehouse: unsupported warehouse 'mysql'"),
        (["audit", "--warehouse", "sqlite:///x.db"], "error: --warehouse: unsupported warehouse 'sqlite'"),
        (["--no-such-option"], "error: No such option '--no-such-option'"),
    ],
)
def test_a_mistake_is_one_line_and_exit_code_2_before_anything_runs(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(message), err
    assert err.count("\n") == 1


@pytest.mark.parametrize("command", ["run", "plan", "backfill", "report", "audit", "health", "forget"])
def test_a_bad_setting_stops_every_command_with_exit_code_2(
    command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SPARKIFY_COPY_MAX_ERROR", "-5")
    days = ["--start", "2018-11-05", "--end", "2018-11-05"] if command in ("backfill", "forget") else []
    assert main([command, *days]) == 2
    err = capsys.readouterr().err
    assert err == "error: invalid setting: SPARKIFY_COPY_MAX_ERROR: Input should be greater than or equal to 0\n"


def test_a_mistake_prints_no_traceback_from_a_fresh_process(tmp_path: Path) -> None:
    for argv in (["--warehouse", "mysql://x"], ["--warehouse", "not a url"], ["plan", "--window-end", "2018-11-01"]):
        done = subprocess.run(
            [sys.executable, "-m", "flows.etl", *argv], cwd=REPO, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 2, done.stderr
        assert done.stdout == "" and len(done.stderr.splitlines()) == 1, done.stderr
        assert done.stderr.startswith("error: ")


def test_a_password_in_warehouse_leaves_the_url_for_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(command_line.PASSWORD_VARIABLE, raising=False)
    with command_line._password_moved(
        ["--warehouse", "postgresql+psycopg://etl:s%40cret@db:5432/x", "plan", "--warehouse=redshift://a:pw@c/d"]
    ) as argv:
        assert argv == ["--warehouse", "postgresql+psycopg://etl@db:5432/x", "plan", "--warehouse=redshift://a@c/d"]
        assert os.environ[command_line.PASSWORD_VARIABLE] == "pw"  # the last given, as click takes the last option
    assert command_line.PASSWORD_VARIABLE not in os.environ  # for the command's run only


# -- fail fast: never retried, one line, no traceback --------------------------------------------------------------


def test_check_connections_is_never_retried_whatever_the_runs_retries() -> None:
    runner = TaskRunner(retries=3, retry_delay_seconds=RETRY_DELAY_S)
    assert runner._task(steps.check_connections).retries == 0
    assert TASKS[steps.check_connections].retries == 0
    assert runner._task(steps.create_tables).retries == 3


def _driver_error(url: str, statement: str = "SELECT 1") -> sa.exc.DBAPIError:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(statement)
    except sa.exc.DBAPIError as error:
        return error
    finally:
        engine.dispose()
    raise AssertionError(f"{statement} on {url} did not fail")


@contextmanager
def held(path: Path) -> Iterator[None]:
    """The DuckDB file opened by another process, which waits: as a notebook or a BI tool holds it."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print(1, flush=True); "
         "time.sleep(600)", str(path)],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "1"
        yield
    finally:
        holder.kill()
        holder.wait()


def test_authentication_permission_lock_and_syntax_errors_are_never_retried(
    tmp_path: Path, postgres: PostgresServer, pg_url: str
) -> None:
    """Each error as the real driver raises it; psycopg gives a refused login no SQLSTATE, DuckDB none at all."""
    with password_login(postgres, pg_url) as (user, _):
        url = make_url(pg_url).set(username=user)
        errors = {
            "wrong password": _driver_error(url.set(password="wrong").render_as_string(hide_password=False)),
            "no password": _driver_error(url.render_as_string(hide_password=False)),
            "no such database": _driver_error(make_url(pg_url).set(database="no_such_db").render_as_string()),
            "permission": _driver_error(pg_url, "CREATE TABLE pg_catalog.x (a int)"),
            "postgres syntax": _driver_error(pg_url, "SELEC 1"),
        }
    database = tmp_path / "held.duckdb"
    duckdb.connect(str(database)).close()
    with held(database):
        errors["duckdb lock"] = _driver_error(f"duckdb:///{database}")
    errors["duckdb syntax"] = _driver_error(f"duckdb:///{tmp_path / 'other.duckdb'}", "SELEC 1")
    read_only = tmp_path / "read-only.duckdb"
    duckdb.connect(str(read_only)).close()
    errors["duckdb read-only"] = _driver_error(
        f"duckdb:///{read_only}?access_mode=read_only", "CREATE TABLE x (a INTEGER)"
    )
    for name, error in errors.items():
        assert is_permanent(error), f"{name}: {error.orig!r}"
        assert not is_transient(None, None, type("State", (), {"data": error})()), name
    refused = _driver_error("postgresql+psycopg://sparkify@127.0.0.1:9/nowhere")
    assert is_transient(None, None, type("State", (), {"data": refused})())  # in mid-run; check-connections: never


def _cli_run(server: PrefectServer, *argv: str, **env: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """``python -m flows.etl ARGV`` against the session's Prefect server, retries 2 minutes apart."""
    began = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "flows.etl", *argv],
        cwd=REPO,
        env=flow_runs.run_env(server, SPARKIFY_RETRY_DELAY_SECONDS=str(RETRY_DELAY_S), **env),
        capture_output=True,
        text=True,
        timeout=flow_runs.RUN_TIMEOUT_S,
    )
    return done, time.monotonic() - began


def assert_failed_fast(
    server: PrefectServer, since: str, done: subprocess.CompletedProcess[str], took: float, checked: bool = True
) -> str:
    """Exit code 1, one line saying why, no traceback anywhere, nothing done after, and check-connections (when it
    ran: a DuckDB lock file that cannot be made stops the run before) tried once; returns the line."""
    output = done.stdout + done.stderr
    assert done.returncode == 1, output[-3000:]
    assert "Traceback" not in output, output[-5000:]
    [line] = [line for line in done.stderr.splitlines() if line.startswith("sparkify-etl failed: ")]
    assert took < RETRY_DELAY_S
    tried = flow_runs.task_runs(server, since, "check-connections", ("FAILED", "COMPLETED"))
    assert [task_run["run_count"] for task_run in tried] == ([1] if checked else [])
    assert not flow_runs.task_runs(server, since, "create-tables", ("COMPLETED", "FAILED", "RUNNING"))
    return line


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return write_source(tmp_path / "source", PLAYS, CATALOG)


def test_a_wrong_postgresql_password_fails_at_once(
    source: Path, postgres: PostgresServer, pg_url: str, prefect_api: PrefectServer
) -> None:
    with password_login(postgres, pg_url) as (user, password):
        wrong = make_url(pg_url).set(username=user, password=f"not-{password}")
        since = flow_runs.now()
        done, took = _cli_run(
            prefect_api, "--source", str(source), "--warehouse", wrong.render_as_string(hide_password=False)
        )
    line = assert_failed_fast(prefect_api, since, done, took)
    assert f'password authentication failed for user "{user}"' in line
    assert "Check its address, user and password" in line
    assert password not in done.stdout + done.stderr


def test_a_refused_connection_fails_at_once(source: Path, prefect_api: PrefectServer) -> None:
    since = flow_runs.now()
    done, took = _cli_run(
        prefect_api, "--source", str(source), "--warehouse", "postgresql+psycopg://sparkify@127.0.0.1:9/nowhere"
    )
    line = assert_failed_fast(prefect_api, since, done, took)
    assert "port 9 failed: Connection refused" in line


def test_a_plan_that_cannot_read_the_warehouse_says_so_in_a_line(
    source: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "postgresql+psycopg://sparkify@127.0.0.1:9/nowhere"
    assert main(["plan", "--source", str(source), "--warehouse", url, "--read-warehouse"]) == EXIT_FAILED
    captured = capsys.readouterr()
    [line] = [line for line in captured.err.splitlines() if not line.startswith("INFO ")]
    assert line.startswith("sparkify plan failed: cannot read the ledger (") and "Connection refused" in line
    assert captured.out == ""


def test_a_duckdb_file_held_by_another_process_fails_at_once(
    source: Path, tmp_path: Path, prefect_api: PrefectServer
) -> None:
    database = tmp_path / "held.duckdb"
    duckdb.connect(str(database)).close()
    since = flow_runs.now()
    with held(database):
        done, took = _cli_run(prefect_api, "--source", str(source), "--warehouse", f"duckdb:///{database}")
    line = assert_failed_fast(prefect_api, since, done, took)
    assert "Could not set lock on file" in line and "another program" in line


@contextmanager
def read_only_folder(folder: Path) -> Iterator[Path]:
    """A folder nobody may write: its mode, or, for root (whom modes do not stop), the immutable attribute."""
    folder.mkdir()
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
    immutable = False
    if os.access(folder, os.W_OK):
        immutable = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, check=False).returncode == 0
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("no way to make a folder read-only here (root, without chattr)")
        yield folder
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        folder.chmod(stat.S_IRWXU)


def test_a_duckdb_file_in_a_read_only_folder_fails_at_once(
    source: Path, tmp_path: Path, prefect_api: PrefectServer
) -> None:
    with read_only_folder(tmp_path / "read-only") as folder:
        since = flow_runs.now()
        done, took = _cli_run(prefect_api, "--source", str(source), "--warehouse", f"duckdb:///{folder}/wh.duckdb")
    line = assert_failed_fast(prefect_api, since, done, took, checked=False)
    assert f"cannot create its lock file {folder}/wh.duckdb.lock" in line and "not writable" in line


def test_a_bucket_that_does_not_exist_fails_at_once(
    source: Path, s3_server: S3Server, prefect_api: PrefectServer
) -> None:
    bucket = f"no-such-bucket-{uuid.uuid4().hex[:8]}"
    since = flow_runs.now()
    done, took = _cli_run(
        prefect_api,
        "--source",
        f"s3://{bucket}/x",
        "--warehouse",
        f"duckdb:///{source.parent / 'wh.duckdb'}",
        **s3_env(s3_server),
    )
    line = assert_failed_fast(prefect_api, since, done, took)
    assert f"cannot list s3://{bucket}/x: NoSuchBucket" in line


# -- forget, health, audit -------------------------------------------------------------------------------------------


@pytest.fixture(params=["duckdb", "postgresql"])
def loaded(request: pytest.FixtureRequest, source: Path, tmp_path: Path) -> str:
    """A warehouse loaded from the two days of plays, on each engine."""
    url = duckdb_url(tmp_path) if request.param == "duckdb" else request.getfixturevalue("pg_url")
    run_steps(source, url)
    return url


def test_forget_deletes_the_facts_of_its_days_and_their_ledger_rows_and_says_so(
    loaded: str, source: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert rows(loaded, "SELECT COUNT(*) FROM songplays") == [(4,)]
    assert main(["forget", "--start", "2018-11-10", "--end", "2018-11-10", "--warehouse", loaded]) == 0
    assert capsys.readouterr().out == (
        "deleted 3 plays of [2018-11-10T00:00:00, 2018-11-11T00:00:00)\n"
        "deleted 1 ledger rows (loaded_objects) of those days' event files: a run loads a file of those days again "
        "when it is there\n"
    )
    assert rows(loaded, "SELECT COUNT(*) FROM songplays WHERE start_time >= '2018-11-11'") == [(1,)]
    ledger = rows(loaded, "SELECT source_object FROM loaded_objects WHERE feed = 'events'")
    assert [name.rsplit("/", 1)[-1] for (name,) in ledger] == ["2018-11-11-events.json"]
    assert rows(loaded, "SELECT COUNT(*) FROM users") == [(1,)]  # dimensions stay

    run_steps(source, loaded)  # the file is still there: the next run loads the day again
    assert rows(loaded, "SELECT COUNT(*) FROM songplays") == [(4,)]


def test_forget_locks_the_tables_its_statements_touch_on_every_engine() -> None:
    for url in (
        "duckdb:///unused.duckdb",
        "postgresql+psycopg://u@127.0.0.1:9/x",
        "redshift+redshift_connector://u@h:5439/x",
    ):
        warehouse = connect(url)
        statements = [(path, {}) for path in warehouse.script("forget")]
        assert warehouse.tables_of(statements) == {"songplays", "loaded_objects"}, url


def test_health_prints_each_checks_latest_result_the_latest_checked_first(
    loaded: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["health", "--warehouse", loaded]) == 0
    header, rule, *lines = capsys.readouterr().out.splitlines()
    assert header.split() == [
        "check_name", "severity", "last_passed", "last_observed", "expected", "last_checked_at", "last_failed_at",
        "runs_since_failure",
    ]  # fmt: skip
    assert set(rule) <= {"-", " "}
    expected = rows(loaded, "SELECT check_name FROM check_health ORDER BY last_checked_at DESC, check_name")
    first = len(rule.split()[0])  # the first column's width
    assert [line[:first].rstrip() for line in lines] == [name for (name,) in expected]
    assert all(" passed " in line for line in lines)


def test_health_on_a_warehouse_no_run_has_loaded_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["health", "--warehouse", duckdb_url(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("sparkify health failed: cannot read check_health (") and err.count("\n") == 1


@pytest.mark.usefixtures("prefect_harness")
def test_audit_runs_the_whole_table_checks_and_fails_on_a_defect(
    source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = duckdb_url(tmp_path)
    run_steps(source, url)
    assert main(["audit", "--warehouse", url]) == 0
    checks = len(quality.table_checks(staged=False))
    assert capsys.readouterr().out == f"sparkify-audit succeeded: {checks} of {checks} checks passed\n"

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO users (user_id, first_name, level) VALUES (99, 'Mallory', 'premium')")
    engine.dispose()
    assert main(["audit", "--warehouse", url]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("sparkify-audit failed: ") and "accepted_values(users.level in {free, paid}) FAILED" in err


def test_no_module_reads_the_settings_when_imported() -> None:
    """Configuration is read when a run resolves it: every module imports with broken settings."""
    probe = "import flows.cli, flows.etl.flow, flows.backfill, flows.audit, tasks, sparkify.dryrun, deployments.serve"
    env = {**os.environ, "SPARKIFY_TASK_RETRIES": "-1", "SPARKIFY_WAREHOUSE_PORT": "x"}
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
