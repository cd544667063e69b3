"""``plan``: the SQL a run would execute, printed without connecting to anything.

The drift tests pin the plan to reality: a real DuckDB run's statements, captured
at the cursor, are the plan's, in the same order, with the same values.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import sqlglot
from prefect.task_runners import ThreadPoolTaskRunner

from flows.cli import main as cli_main
from flows.etl.flow import sparkify_etl
from sparkify.dryrun import PLAN_RUN_KEY, plan
from sparkify.sources import SourceError
from sparkify.window import Window
from tests.support.factories import event, song, write_source
from tests.support.helpers import duckdb_url

REPO = Path(__file__).resolve().parents[1]
CATALOG = [song("SOX", "You Gotta Be", artist_id="ARX", artist_name="Des'ree", duration=246.30812)]
EVENTS = [
    event("2018-11-01T10:00:00.100", item=0),
    event("2018-11-01T10:04:00.100", item=1, level="paid"),
    event("2018-11-02T09:00:00.000", user_id="15", session_id=9),
    event("2018-11-03T09:00:00.000", user_id="", page="Home", session_id=10),
]
#: A run names its staging tables after its flow run (an earlier window it reloads, after a digest of its key and
#: that window); the plan after PLAN_RUN_KEY: the keys aside, the names must be the same.
_RUN_TABLES = re.compile(r"(staging_[a-z]+)_\w+")
#: ... and its rejected records and ledger rows after its key, a bound value.
_RUN_KEY = re.compile(r"(?:\d{12}|plan)_[0-9a-f]{16}")


@pytest.fixture
def captured() -> Iterator[list[tuple[str, Any]]]:
    """Every statement a DuckDB engine of this process sends to its cursor, with its parameters."""
    statements: list[tuple[str, Any]] = []

    def capture(conn, cursor, statement, parameters, context, executemany) -> None:
        if conn.engine.url.get_backend_name() == "duckdb":
            # a plan shows an executemany as the statement once per row
            statements.extend((statement, one) for one in (parameters if executemany else [parameters]))

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", capture)
    yield statements
    sa.event.remove(sa.engine.Engine, "before_cursor_execute", capture)


def _as_planned(statement: str) -> str:
    return _RUN_TABLES.sub(r"\1_<run>", statement)


def _values(parameters: Any, statement: str = "") -> list[Any]:
    values = list(parameters.values()) if isinstance(parameters, dict) else list(parameters or ())
    if statement.startswith("INSERT INTO check_results"):
        # what each check measured is the run's: a plan records the statement, not the measurements
        values = [value for index, value in enumerate(values) if index % 10 not in _MEASURED]
    return [_as_planned_value(value) for value in values]


#: The measured columns of a check_results row: observed, passed and detail.
_MEASURED = (5, 7, 8)


def _as_planned_value(value: Any) -> Any:
    """The run's key as the plan's; the time a record was written (now, UTC) as a mark."""
    if isinstance(value, str) and _RUN_KEY.fullmatch(value):
        return PLAN_RUN_KEY
    if isinstance(value, datetime) and abs(datetime.now(UTC).replace(tzinfo=None) - value) < timedelta(hours=1):
        return "<now>"
    return value


@pytest.mark.usefixtures("prefect_harness")
@pytest.mark.parametrize(
    "window",
    [Window.everything(), Window(datetime(2018, 11, 1, 12), datetime(2018, 11, 3))],
    ids=["full-load", "window"],
)
def test_the_duckdb_plan_is_what_a_duckdb_run_executes(
    tmp_path: Path, window: Window, captured: list[tuple[str, Any]]
) -> None:
    source = str(write_source(tmp_path / "source", EVENTS, CATALOG))
    url = duckdb_url(tmp_path)
    planned = plan(source, url, window=window)
    assert captured == [], "planning executed a statement"

    # one task at a time, in submission order: the order the plan serialises the flow in
    one_at_a_time = sparkify_etl.with_options(task_runner=ThreadPoolTaskRunner(max_workers=1))
    bounds = {} if window.is_everything else {"window_start": window.start, "window_end": window.end}
    one_at_a_time(source=source, warehouse=url, **bounds)

    ran = [(_as_planned(statement), _values(parameters, statement)) for statement, parameters in captured]
    expected = [
        (_as_planned(statement.driver_sql), _values(statement.driver_parameters, statement.driver_sql))
        for statement in planned.statements
    ]
    assert ran == expected
    assert len(ran) > 40


@pytest.mark.usefixtures("prefect_harness")
def test_a_plan_that_reads_the_warehouse_is_what_a_run_with_a_lookback_and_a_reload_executes(
    tmp_path: Path, captured: list[tuple[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_source(tmp_path / "source", EVENTS, CATALOG)
    url = duckdb_url(tmp_path)
    one_at_a_time = sparkify_etl.with_options(task_runner=ThreadPoolTaskRunner(max_workers=1))
    one_at_a_time(source=str(root), warehouse=url, window_start=datetime(2018, 11, 1), window_end=datetime(2018, 11, 2))
    # a late play reaches the 1st's file: the 2nd's run, looking back two days, loads the 1st again
    day_one = root / "log_data/2018/11/2018-11-01-events.json"
    late = event("2018-11-01T11:00:00.000", item=2)
    day_one.write_text(day_one.read_text(encoding="utf-8") + "\n" + json.dumps(late), encoding="utf-8")
    window = Window(datetime(2018, 11, 2), datetime(2018, 11, 3))
    captured.clear()

    planned = plan(str(root), url, window=window, read_warehouse=True)
    assert captured and all(
        statement.split("\n")[-1].startswith(("SELECT", "FROM", "WHERE", "  AND")) or "SELECT" in statement
        for statement, _ in captured
    )
    assert not [
        statement
        for statement, _ in captured
        if re.search(r"^(INSERT|UPDATE|DELETE|CREATE|DROP|ALTER)", statement, re.M)
    ]
    assert planned.text().count("\n-- stage-events\n") == 2  # the window's, and the 1st's again
    bounds = ["--window-start", f"{window.start:%Y-%m-%d}", "--window-end", f"{window.end:%Y-%m-%d}"]
    capsys.readouterr()
    assert cli_main(["plan", "--source", str(root), "--warehouse", url, *bounds, "--read-warehouse"]) == 0
    assert _at_any_time(capsys.readouterr().out) == _at_any_time(planned.text())
    captured.clear()
    summary = one_at_a_time(source=str(root), warehouse=url, window_start=window.start, window_end=window.end)

    assert summary.reloaded_windows == ["[2018-11-01T00:00:00, 2018-11-02T00:00:00)"]
    ran = [(_as_planned(statement), _values(parameters, statement)) for statement, parameters in captured]
    expected = [
        (_as_planned(statement.driver_sql), _values(statement.driver_parameters, statement.driver_sql))
        for statement in planned.statements
    ]
    assert ran == expected


def _at_any_time(text: str) -> str:
    """A plan's text with the clock's readings (when rows were checked or rejected) set aside."""
    return re.sub(r"'\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+'", "'<now>'", text)


def test_a_local_source_lists_its_folder_and_names_every_file(tmp_path: Path) -> None:
    source = write_source(tmp_path / "source", EVENTS, CATALOG)
    window = Window(datetime(2018, 11, 2), datetime(2018, 11, 4))
    text = plan(str(source), duckdb_url(tmp_path), window=window, lookback_days=0).text()
    assert f"'{source}/log_data/2018/11/2018-11-02-events.json'" in text
    assert "2018-11-01-events.json" not in text
    assert f"'{source}/song_data/A/B/C/TRABC0000000000000.json'" in text
    assert "WHERE start_time >= '2018-11-02 00:00:00'" in text


def test_planning_connects_to_nothing(tmp_path: Path) -> None:
    source = write_source(tmp_path / "source", EVENTS, CATALOG)
    # a server that does not exist: planning must not notice
    text = plan(str(source), "postgresql+psycopg://sparkify@127.0.0.1:9/nowhere").text()
    assert re.search(r"^COPY staging_events_plan FROM STDIN .*;$", text, re.MULTILINE)
    missing = tmp_path / "never" / "warehouse.duckdb"
    plan(str(source), f"duckdb:///{missing}")
    assert not missing.exists()


def test_an_s3_source_is_not_listed_and_the_plan_says_what_a_run_finds() -> None:
    text = plan(
        "s3://sparkify-raw/feeds",
        "duckdb:///unused.duckdb",
        window=Window(datetime(2018, 11, 1), datetime(2018, 11, 3)),
        events_format="csv",
    ).text()
    assert "-- log_data/: one file per day of the window; a run skips the days that have no file in S3." in text
    # CSV logs are screened as they stream in: nothing is downloaded, DuckDB reads the good records' file
    assert "<temporary download folder>/log_data" not in text
    assert "FROM read_csv(\n    '<temporary folder of the screened CSV records>/events.csv'," in text
    assert "a run lists every *.json object under s3://sparkify-raw/feeds/song_data/" in text


def test_redshift_needs_an_s3_source(tmp_path: Path) -> None:
    source = write_source(tmp_path / "source", EVENTS, CATALOG)
    with pytest.raises(SourceError, match=r"Redshift loads with COPY, which reads from S3: .* is not in S3"):
        plan(str(source), "redshift+redshift_connector://sparkify@cluster.example:5439/dev")


def _cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flows.etl", "plan", *args],
        cwd=REPO,
        env={**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _statements(stdout: str) -> list[str]:
    """The plan's statements: comment lines aside, every line belongs to a statement ending with ';'."""
    sql_lines = [line for line in stdout.splitlines() if line.strip() and not line.startswith("--")]
    assert sql_lines[-1].endswith(";")
    return [statement.strip() for statement in "\n".join(sql_lines).split(";\n") if statement.strip()]


@pytest.mark.parametrize(
    "warehouse",
    ["duckdb:///{tmp}/warehouse.duckdb", "postgresql+psycopg://sparkify:s3cr3t-pw@127.0.0.1:9/sparkify"],
    ids=["duckdb", "postgresql"],
)
def test_the_cli_prints_only_sql_on_stdout_and_logs_on_stderr(tmp_path: Path, warehouse: str) -> None:
    source = write_source(tmp_path / "source", EVENTS, CATALOG)
    result = _cli("--source", str(source), "--warehouse", warehouse.format(tmp=tmp_path))
    assert result.returncode == 0, result.stderr
    statements = _statements(result.stdout)
    dialect = "duckdb" if warehouse.startswith("duckdb") else "postgres"
    for statement in statements:
        if "FROM STDIN" not in statement:  # psycopg's COPY options may be beyond sqlglot's PostgreSQL grammar
            assert sqlglot.parse(statement, read=dialect), statement
    assert any(statement.startswith("DELETE FROM songplays") for statement in statements)
    assert "INFO sparkify.plan: planned" in result.stderr
    assert "s3cr3t-pw" not in result.stdout + result.stderr


def test_the_cli_reports_a_plan_it_cannot_make_on_stderr(tmp_path: Path) -> None:
    result = _cli("--source", str(tmp_path / "missing"), "--warehouse", duckdb_url(tmp_path))
    assert result.returncode == 1
    assert result.stdout == ""
    assert "does not exist" in result.stderr
