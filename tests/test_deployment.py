"""Deployments end to end: prefect.yaml, a process worker, windows, backfills, blocks and serve on a real server.

Every command runs as a subprocess, as the operator types it (deployments/README.md),
from a copy of the repository (a checkout in a directory with a space in its name)
against the session's ``prefect server start``. Tests of this module build on each
other's server state and run in file order: deploy, late runs, worker runs, backfill,
blocks, serve.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from bench.services import PrefectServer, http_get, http_post
from deployments import blocks as operator_blocks
from deployments import serve as served
from flows.cli import backfill as backfill_command
from sparkify.config import day_range
from sparkify.sample import GeneratedSource, GeneratorConfig, generate
from sparkify.settings import SettingsError, get_settings
from sparkify.window import Window
from tests.support.helpers import rows, star_contents

REPO = Path(__file__).resolve().parents[1]
DEPLOYMENT = "sparkify-etl/hourly"
POOL = "sparkify-process"
#: What a checkout holds: the repository without its environment, caches and local data.
NOT_IN_A_CHECKOUT = shutil.ignore_patterns(".git", ".venv", "data", "__pycache__", ".pytest_cache", ".ruff_cache")


@dataclass
class Operator:
    """Runs commands in the checkout against the test server, as an operator would."""

    server: PrefectServer
    checkout: Path
    env: dict[str, str]
    logs: Path
    deploy_output: str = ""
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def run(self, *argv: str, check: bool = True, timeout: float = 300, **env: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, *argv],
            cwd=self.checkout,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check:
            assert result.returncode == 0, f"{argv} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
        return result

    def prefect(self, *argv: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return self.run("-m", "prefect", *argv, **kwargs)

    def start(self, name: str, *argv: str) -> subprocess.Popen[bytes]:
        """A long-running process in its own session, stopped at the end of the module."""
        with (self.logs / f"{name}.log").open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, *argv],
                cwd=self.checkout,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes.append(process)
        return process

    def stop(self, process: subprocess.Popen[bytes]) -> None:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)

    def get(self, path: str) -> Any:
        status, body = http_get(f"{self.server.api_url}{path}")
        assert status == 200, f"GET {path}: {status} {body[:300]!r}"
        return json.loads(body)

    def post(self, path: str, payload: dict[str, Any]) -> Any:
        status, body = http_post(f"{self.server.api_url}{path}", payload)
        assert status in (200, 201), f"POST {path}: {status} {body[:300]!r}"
        return json.loads(body)

    def deployment(self) -> dict[str, Any]:
        return self.get(f"/deployments/name/{DEPLOYMENT}")

    def flow_runs(self, **filters: Any) -> list[dict[str, Any]]:
        return self.post("/flow_runs/filter", {"sort": "EXPECTED_START_TIME_ASC", **filters})


def wait_for(condition: Callable[[], Any], what: str, timeout: float = 90) -> Any:
    """Polls until ``condition`` returns something truthy; returns it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(1)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def flow_run_id(output: str) -> str:
    match = re.search(r"UUID: ([0-9a-f-]{36})", output)
    assert match, output
    return match.group(1)


# --------------------------------------------------------------------------- the source and an independent count


@dataclass(frozen=True)
class Source:
    generated: GeneratedSource
    #: (userId, sessionId, itemInSession) of every NextSong event, with its UTC time: counted from the files.
    plays: dict[tuple[str, int, int], datetime]

    @property
    def path(self) -> str:
        return str(self.generated.root)

    def plays_in(self, start: datetime, end: datetime) -> int:
        return sum(start <= moment < end for moment in self.plays.values())


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Source:
    """Thirty days of November 2018: one log file per day, a few hundred plays each."""
    generated = generate(tmp_path_factory.mktemp("source"), GeneratorConfig(events=3000, days=30))
    plays = {}
    for path in sorted((generated.root / "log_data").rglob("*.json")):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            if record["page"] == "NextSong":
                key = (record["userId"], record["sessionId"], record["itemInSession"])
                plays[key] = datetime.fromtimestamp(record["ts"] / 1000, tz=UTC).replace(tzinfo=None)
    return Source(generated, plays)


# --------------------------------------------------------------------------- the operator's set-up


@pytest.fixture(scope="module")
def operator(prefect_api: PrefectServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Operator]:
    """A fresh checkout, anywhere, and an environment pointed at the test server (workers poll every 2 s)."""
    checkout = tmp_path_factory.mktemp("deploy") / "sparkify checkout"
    shutil.copytree(REPO, checkout, ignore=NOT_IN_A_CHECKOUT)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")},
        **prefect_api.env,
        "PREFECT_WORKER_QUERY_SECONDS": "2",
        "SPARKIFY_RETRY_DELAY_SECONDS": "0",
    }
    person = Operator(prefect_api, checkout, env, logs=tmp_path_factory.mktemp("logs"))
    yield person
    for process in person.processes:
        person.stop(process)


@pytest.fixture(scope="module")
def deployed(operator: Operator) -> Operator:
    """The README's commands: create the pool, then deploy everything in prefect.yaml without a prompt."""
    operator.prefect("work-pool", "create", POOL, "--type", "process")
    operator.deploy_output = operator.prefect("--no-prompt", "deploy", "--all").stdout
    return operator


@pytest.fixture(scope="module")
def worker(deployed: Operator) -> Operator:
    deployed.start("worker", "-m", "prefect", "worker", "start", "--pool", POOL)
    wait_for(
        lambda: deployed.post("/work_pools/" + POOL + "/workers/filter", {}), "the worker to poll its pool", timeout=60
    )
    return deployed


def run_deployment(operator: Operator, *args: str) -> tuple[str, dict[str, Any]]:
    """``prefect deployment run … --watch``; returns the flow run's id and its final record."""
    result = operator.prefect("deployment", "run", DEPLOYMENT, *args, "--watch", "--watch-timeout", "240")
    assert "Flow run finished successfully in 'Completed'" in result.stdout, result.stdout[-3000:]
    run_id = flow_run_id(result.stdout)
    return run_id, operator.get(f"/flow_runs/{run_id}")


# --------------------------------------------------------------------------- prefect.yaml


def test_deploy_registers_the_hourly_utc_schedule_with_the_dags_policies(deployed: Operator) -> None:
    deployment = deployed.deployment()
    [schedule] = deployment["schedules"]
    assert schedule["schedule"] == {"cron": "0 * * * *", "timezone": "UTC", "day_or": True}
    assert schedule["active"] is True
    # only the schedule says "load your hour": a manual run loads what it is given, or everything
    assert schedule["parameters"] == {"interval": "hour"}
    assert deployment["paused"] is False
    assert deployment["global_concurrency_limit"]["limit"] == 3
    assert deployment["concurrency_options"]["collision_strategy"] == "ENQUEUE"
    assert deployment["work_pool_name"] == POOL
    assert deployment["entrypoint"] == "flows/etl/flow.py:sparkify_etl"
    assert deployment["parameters"] == {"source": "data/sample", "warehouse": "duckdb:///data/sparkify.duckdb"}
    # the pull step leads every run to this checkout, wherever it was cloned
    assert deployment["pull_steps"] == [
        {"prefect.deployments.steps.set_working_directory": {"directory": str(deployed.checkout)}}
    ]

    # the scheduler has already planned the next hours: on the hour, UTC, each with its interval
    def planned() -> list[dict[str, Any]]:
        runs = deployed.flow_runs(deployments={"id": {"any_": [deployment["id"]]}})
        return [run for run in runs if run["auto_scheduled"]]

    runs = wait_for(planned, "the scheduler to plan runs", timeout=60)
    now = datetime.now(UTC)
    for run in runs:
        expected = datetime.fromisoformat(run["expected_start_time"])
        assert (expected.minute, expected.second, expected.utcoffset()) == (0, 0, timedelta(0))
        assert now - timedelta(hours=1) < expected < now + timedelta(days=101)
        assert run["parameters"]["interval"] == "hour"


def test_the_deployment_shows_in_the_ui(deployed: Operator) -> None:
    url = re.search(r"View Deployment in UI: (\S+)", deployed.deploy_output).group(1)
    deployment_id = deployed.deployment()["id"]
    assert url == f"{deployed.server.ui_url}deployments/deployment/{deployment_id}"
    request = urllib.request.Request(url, headers={"Accept": "text/html"})  # the UI answers browsers with its app
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=10) as page:
        assert page.status == 200
        assert page.headers.get_content_type() == "text/html"
        assert b"<title>Prefect Server</title>" in page.read()
    # and the page's data: the deployment as the UI reads it
    assert deployed.get(f"/deployments/{deployment_id}")["name"] == "hourly"


def test_deploying_again_updates_the_deployment_in_place(deployed: Operator) -> None:
    before = deployed.deployment()
    deployed.prefect("--no-prompt", "deploy", "--all")
    after = deployed.deployment()
    assert after["id"] == before["id"]
    assert [s["id"] for s in after["schedules"]] == [s["id"] for s in before["schedules"]]  # kept by its slug


def test_a_missed_run_is_cancelled_not_caught_up(deployed: Operator) -> None:
    """deployments/automations.yaml, with its hour shortened to 10 s: a Late run that does not start is cancelled."""
    automation = yaml.safe_load((deployed.checkout / "deployments" / "automations.yaml").read_text())["automations"][0]
    assert automation["trigger"]["within"] == 3600
    quick = {**automation, "trigger": {**automation["trigger"], "within": 10}}
    created = deployed.prefect("automation", "create", "--from-json", json.dumps(quick)).stdout
    quick_id = re.search(r"id\s+([0-9a-f-]{36})", created.replace("\n", " ")).group(1)
    try:
        # no worker yet: the run due at 2018-11-04 00:00 turns Late at once, then nobody takes it
        missed = flow_run_id(
            deployed.prefect("deployment", "run", DEPLOYMENT, "--start-at", "2018-11-04 00:00 UTC").stdout
        )
        run = wait_for(
            lambda: (r := deployed.get(f"/flow_runs/{missed}"))["state_type"] == "CANCELLED" and r,
            "the automation to cancel the missed run",
        )
        states = {s["name"] for s in deployed.get(f"/flow_run_states/?flow_run_id={missed}")}
        assert "Late" in states
        assert not states & {"Pending", "Running"}, states  # it never ran
        assert run["run_count"] == 0
    finally:
        deployed.prefect("automation", "delete", "--id", quick_id)
    # the operator's commands, as documented: the alerts' Webhook block (nobody listens here), then the file
    deployed.run("-m", "deployments.blocks", SPARKIFY_ALERT_WEBHOOK_URL="http://127.0.0.1:9/alerts")
    applied = deployed.run("-m", "deployments.automations").stdout
    assert automation["name"] in applied


# --------------------------------------------------------------------------- runs through a worker


@pytest.fixture(scope="module")
def full_load(worker: Operator, source: Source, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A manual run of the deployment with no window: the whole source, through the worker."""
    url = f"duckdb:///{tmp_path_factory.mktemp('full') / 'warehouse.duckdb'}"
    _, run = run_deployment(worker, "--param", f"source={source.path}", "--param", f"warehouse={url}")
    assert run["parameters"] == {"source": source.path, "warehouse": url}
    return url


def test_a_deployment_run_through_the_worker_builds_the_star_schema(full_load: str, source: Source) -> None:
    # the generator's own count, and the files' distinct plays counted here
    assert source.generated.nextsong_events == len(source.plays) > 2000
    assert rows(full_load, "SELECT COUNT(*) FROM songplays") == [(len(source.plays),)]
    assert rows(full_load, "SELECT COUNT(*) FROM songs") == [(source.generated.song_files,)]
    contents = star_contents(full_load)
    assert all(contents[table] for table in ("users", "artists", "time"))


def test_a_run_due_at_a_time_loads_the_hour_before_it(worker: Operator, source: Source, tmp_path: Path) -> None:
    """The schedule's rule on a manual run: --start-at sets the scheduled time, interval=hour as the schedule does."""
    busiest = collections.Counter(moment.replace(minute=0, second=0, microsecond=0) for moment in source.plays.values())
    hour, plays = busiest.most_common(1)[0]
    due = hour + timedelta(hours=1)
    url = f"duckdb:///{tmp_path / 'hour.duckdb'}"
    _, run = run_deployment(
        worker,
        "--param", f"source={source.path}",
        "--param", f"warehouse={url}",
        "--param", "interval=hour",
        "--start-at", f"{due:%Y-%m-%d %H:%M} UTC",
    )  # fmt: skip
    assert datetime.fromisoformat(run["expected_start_time"]) == due.replace(tzinfo=UTC)
    assert plays == source.plays_in(hour, due) > 0
    assert rows(
        url, "SELECT COUNT(*), MIN(start_time) >= :hour, MAX(start_time) < :due FROM songplays", hour=hour, due=due
    ) == [(plays, True, True)]

    # now, with the deployment's defaults, as the schedule runs it: the demo sample is a live feed, so the hour that
    # has just ended has its day file and its plays, and every check passes (no scheduled run fails every hour)
    _, current = run_deployment(worker, "--param", "interval=hour")
    now = Window.completed_at(datetime.fromisoformat(current["expected_start_time"]), "hour")
    assert (worker.checkout / "data/sample/log_data" / f"{now.start:%Y/%m/%Y-%m-%d}-events.json").is_file()
    defaults = f"duckdb:///{worker.checkout / 'data/sparkify.duckdb'}"
    loaded = "SELECT COUNT(*) > 0, MIN(start_time) >= :window_start, MAX(start_time) < :window_end FROM songplays"
    assert rows(defaults, loaded, **now.params()) == [(True, True, True)]
    assert rows(defaults, "SELECT COUNT(*) FROM check_results WHERE NOT passed") == [(0,)]


# --------------------------------------------------------------------------- backfill


def test_a_thirty_day_backfill_ends_with_the_same_tables_as_one_full_load(
    operator: Operator, full_load: str, source: Source, tmp_path: Path
) -> None:
    url = f"duckdb:///{tmp_path / 'backfill.duckdb'}"
    started = time.monotonic()
    result = operator.run(
        "-m", "flows.etl", "backfill", "--start", "2018-11-01", "--end", "2018-11-30",
        "--concurrency", "3", "--source", source.path, "--warehouse", url,
    )  # fmt: skip
    elapsed = time.monotonic() - started
    assert "sparkify-backfill succeeded: [2018-11-01T00:00:00, 2018-12-01T00:00:00)" in result.stdout
    assert "windows: 30 of one day: 30 ok, 0 without plays, 0 failed" in result.stdout
    assert f"songplays loaded: {len(source.plays)}" in result.stdout
    assert star_contents(url) == star_contents(full_load)

    # each window is a flow run of its own, under the backfill's run
    [parent] = operator.flow_runs(flows={"name": {"any_": ["sparkify-backfill"]}})
    assert parent["state_type"] == "COMPLETED"
    windows = operator.flow_runs(
        flows={"name": {"any_": ["sparkify-etl"]}}, flow_runs={"parent_flow_run_id": {"any_": [parent["id"]]}}
    )
    assert sorted(w["name"] for w in windows) == [f"window-2018-11-{day:02d}T00:00" for day in range(1, 31)]
    assert {w["state_type"] for w in windows} == {"COMPLETED"}
    assert {(w["parameters"]["window_start"], w["parameters"]["window_end"]) for w in windows} == {
        (f"2018-11-{day:02d}T00:00:00", (datetime(2018, 11, day) + timedelta(days=1)).isoformat())
        for day in range(1, 31)
    }

    # running the end of the range again, one day past it, changes nothing; the day without a log fails, named
    again = operator.run(
        "-m", "flows.etl", "backfill", "--start", "2018-11-29", "--end", "2018-12-01", "--source", source.path,
        "--warehouse", url, check=False,
    )  # fmt: skip
    assert again.returncode == 1
    assert "sparkify-backfill failed" in again.stdout
    assert "windows: 3 of one day: 2 ok, 0 without plays, 1 failed" in again.stdout
    assert "failed: [2018-12-01T00:00:00, 2018-12-02T00:00:00)" in again.stdout
    assert "no readable file for 2018-12-01" in again.stdout
    assert star_contents(url) == star_contents(full_load)
    print(f"30-day backfill: {elapsed:.1f} s")


def test_a_backfill_with_a_failed_window_says_so_and_exits_1(operator: Operator, source: Source) -> None:
    failed = operator.run(
        "-m", "flows.etl", "backfill", "--start", "2018-11-30", "--end", "2018-11-30", "--source", source.path,
        "--warehouse", "duckdb:///", check=False,
    )  # fmt: skip
    assert failed.returncode == 1
    assert "sparkify-backfill failed" in failed.stdout
    assert "windows: 1 of one day: 0 ok, 0 without plays, 1 failed" in failed.stdout
    assert "failed: [2018-11-30T00:00:00, 2018-12-01T00:00:00): ValueError: an in-memory DuckDB" in failed.stdout


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2018-11-01", "2018-11-30", "[2018-11-01T00:00:00, 2018-12-01T00:00:00)"),  # a date as --end is included
        ("2018-12-31", "2018-12-31", "[2018-12-31T00:00:00, 2019-01-01T00:00:00)"),
        ("2018-11-05T06:00", "2018-11-05T12:00", "[2018-11-05T06:00:00, 2018-11-05T12:00:00)"),  # a time is not
    ],
)
def test_a_backfill_range_includes_its_last_day(start: str, end: str, expected: str) -> None:
    with backfill_command.make_context("backfill", ["--start", start, "--end", end]) as parsed:
        span = day_range(parsed.params["start"], parsed.params["end"])
    assert str(span) == expected


TAKE_A_TURN = """
import sys, time
from sparkify.warehouse import connect
warehouse = connect(sys.argv[1])
with warehouse.exclusive():
    for step in ("in", "out"):
        with warehouse.engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS turns (who TEXT, step TEXT, moment DOUBLE)")
            conn.exec_driver_sql("INSERT INTO turns VALUES (?, ?, ?)", (sys.argv[2], step, time.time()))
        time.sleep(1)
"""


def test_runs_in_separate_processes_take_turns_on_a_duckdb_file(tmp_path: Path) -> None:
    """A worker's runs in flight together: DuckDB lets one process open the file, so they queue, none fails."""
    url = f"duckdb:///{tmp_path / 'turns.duckdb'}"
    processes = [
        subprocess.Popen([sys.executable, "-c", TAKE_A_TURN, url, who], cwd=REPO, stderr=subprocess.PIPE)
        for who in ("first", "second", "third")
    ]
    for process in processes:
        _, stderr = process.communicate(timeout=60)
        assert process.returncode == 0, stderr.decode()
    turns = rows(url, "SELECT who, step FROM turns ORDER BY moment")
    assert len(turns) == 6
    # nobody got in while another was in
    assert all(a[0] == b[0] and (a[1], b[1]) == ("in", "out") for a, b in zip(turns[::2], turns[1::2], strict=True))


# --------------------------------------------------------------------------- blocks and serve


LOAD_BLOCKS = """
from prefect_aws import S3Bucket
from sparkify.blocks import WarehouseConnection
bucket = S3Bucket.load("ops-s3")
credentials = bucket.credentials
print(bucket.bucket_name, credentials.region_name, credentials.aws_client_parameters.endpoint_url)
print(credentials.aws_secret_access_key.get_secret_value() == {secret!r})
print(WarehouseConnection.load("ops-warehouse").url().render_as_string(hide_password=False))
"""


def test_blocks_are_created_and_updated_from_the_environment(operator: Operator) -> None:
    secret, password = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "Pw-Never-Printed-91c"
    env = {
        "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_REGION": "us-west-2",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        "SPARKIFY_AWS_BLOCK": "ops-aws",
        "SPARKIFY_S3_BUCKET": "sparkify-raw",
        "SPARKIFY_S3_BLOCK": "ops-s3",
        "SPARKIFY_WAREHOUSE_BLOCK": "ops-warehouse",
        "SPARKIFY_WAREHOUSE_DRIVER": "postgresql+psycopg",
        "SPARKIFY_WAREHOUSE_HOST": "db.internal",
        "SPARKIFY_WAREHOUSE_PORT": "5432",
        "SPARKIFY_WAREHOUSE_DATABASE": "sparkify",
        "SPARKIFY_WAREHOUSE_USER": "etl",
        "SPARKIFY_WAREHOUSE_PASSWORD": password,
    }
    for module in ("prefect_aws", "sparkify.blocks"):
        operator.prefect("block", "register", "-m", module)
    first = operator.run("-m", "deployments.blocks", **env)
    assert first.stdout.splitlines() == [
        "saved aws-credentials/ops-aws",
        "saved s3-bucket/ops-s3",
        "saved sparkify-warehouse-connection/ops-warehouse",
    ]
    # a rotated password replaces the old one
    second = operator.run("-m", "deployments.blocks", **{**env, "SPARKIFY_WAREHOUSE_PASSWORD": password + "-2"})
    loaded = operator.run("-c", LOAD_BLOCKS.format(secret=secret))
    assert loaded.stdout.splitlines() == [
        "sparkify-raw us-west-2 http://127.0.0.1:9",
        "True",
        f"postgresql+psycopg://etl:{password}-2@db.internal:5432/sparkify",
    ]
    shown = json.dumps(operator.post("/block_documents/filter", {"include_secrets": False}))
    for text in (first.stdout + first.stderr, second.stdout + second.stderr, shown):
        assert secret not in text
        assert password not in text

    nothing = operator.run("-m", "deployments.blocks", check=False)
    assert nothing.returncode == 2
    assert "nothing to save" in nothing.stderr


def test_copy_reads_s3_with_the_iam_role_when_there_is_one_else_with_the_keys(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    keys = {"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "x" * 40}
    monkeypatch.setenv("SPARKIFY_WAREHOUSE_DRIVER", "redshift+redshift_connector")
    monkeypatch.setenv("SPARKIFY_WAREHOUSE_DATABASE", "dev")
    role = "arn:aws:iam::123456789012:role/copy"
    block = operator_blocks.warehouse_connection(get_settings(), operator_blocks.aws_credentials(keys))
    assert block.aws_credentials.aws_access_key_id == "AKIAIOSFODNN7EXAMPLE"
    assert block.copy_max_error is None  # unset: runs follow the environment they run in
    monkeypatch.setenv("SPARKIFY_COPY_IAM_ROLE", role)
    monkeypatch.setenv("SPARKIFY_COPY_MAX_ERROR", "10")
    block = operator_blocks.warehouse_connection(get_settings(), operator_blocks.aws_credentials(keys))
    assert (block.iam_role_arn, block.aws_credentials, block.copy_max_error) == (role, None, 10)
    monkeypatch.setenv("SPARKIFY_WAREHOUSE_PORT", "five")
    with pytest.raises(SettingsError, match="SPARKIFY_WAREHOUSE_PORT: Input should be a valid integer"):
        get_settings()


def test_serve_registers_the_same_deployment_and_runs_it_without_a_worker(
    deployed: Operator, source: Source, tmp_path: Path
) -> None:
    worker_deployment = deployed.deployment()
    # over a worker's deployment of the same name serve refuses, saying what to do
    refused = deployed.run("-m", "deployments.serve", check=False, timeout=60)
    assert refused.returncode == 1
    assert f"prefect deployment delete {DEPLOYMENT}" in refused.stderr

    deployed.prefect("deployment", "delete", DEPLOYMENT)
    serving = deployed.start("serve", "-m", "deployments.serve")
    try:
        deployment = wait_for(
            lambda: (
                (d := http_get(f"{deployed.server.api_url}/deployments/name/{DEPLOYMENT}"))[0] == 200
                and json.loads(d[1])
            ),
            "serve to register the deployment",
        )
        assert deployment["work_pool_name"] is None
        for key in ("parameters", "tags", "description", "entrypoint", "concurrency_options"):
            assert deployment[key] == worker_deployment[key], key
        assert deployment["global_concurrency_limit"]["limit"] == 3
        keep = ("schedule", "active", "parameters", "slug")
        assert [{k: s[k] for k in keep} for s in deployment["schedules"]] == [
            {k: s[k] for k in keep} for s in worker_deployment["schedules"]
        ]

        url = f"duckdb:///{tmp_path / 'served.duckdb'}"
        run_deployment(deployed, "--param", f"source={source.path}", "--param", f"warehouse={url}")
        assert rows(url, "SELECT COUNT(*) FROM songplays") == [(len(source.plays),)]
    finally:
        deployed.stop(serving)
    assert serving.returncode is not None


def test_serve_reads_the_schedule_and_policies_from_prefect_yaml() -> None:
    """One source of truth: what serve registers is prefect.yaml's deployment, field for field."""
    spec = yaml.safe_load((REPO / "prefect.yaml").read_text())["deployments"][0]
    deployment = served.build()
    assert deployment.name == spec["name"] == "hourly"
    assert [s.schedule.cron for s in deployment.schedules] == [s["cron"] for s in spec["schedules"]] == ["0 * * * *"]
    assert [s.schedule.timezone for s in deployment.schedules] == ["UTC"]
    assert [(s.active, s.parameters, s.slug) for s in deployment.schedules] == [(True, {"interval": "hour"}, "hourly")]
    assert deployment.parameters == spec["parameters"]
    assert deployment.concurrency_limit == spec["concurrency_limit"]["limit"] == 3
    assert deployment.concurrency_options.collision_strategy.value == spec["concurrency_limit"]["collision_strategy"]
    assert deployment.entrypoint.endswith("flows/etl/flow.py:sparkify_etl")


def test_serve_refuses_a_schedule_it_would_not_carry(tmp_path: Path) -> None:
    spec = {"name": "hourly", "entrypoint": served.ENTRYPOINT, "schedules": [{"cron": "0 * * * *", "start_date": "x"}]}
    with pytest.raises(ValueError, match="serve takes cron schedules"):
        served.schedules(spec)
