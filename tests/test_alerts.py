"""Alerts: the Webhook block, the automations of deployments/automations.yaml, and the warning event, end to end.

The end-to-end tests run the operator's commands (deployments/README.md, "Alerts: the operator loop") as
subprocesses against the session's ``prefect server start``: the work pool, ``prefect
deploy``, ``python -m deployments.blocks`` with nothing but SPARKIFY_ALERT_WEBHOOK_URL,
``python -m deployments.automations`` with the missed-run period shortened through its
setting, and a process worker. A small HTTP server on loopback stands in for Slack and
records what it is posted. They build on each other's server state and run in file order.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import subprocess
import textwrap
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from uuid import uuid4

import duckdb
import pytest
from prefect import flow, get_client
from prefect.events.clients import AssertingEventsClient
from prefect.events.worker import EventsWorker
from prefect.exceptions import ObjectNotFound
from prefect.server.events.actions import JinjaTemplateAction
from prefect.server.schemas.core import Deployment, Flow, FlowRun
from prefect.server.schemas.states import State, StateType
from prefect.server.utilities.user_templates import render_user_template_sync
from prefect.settings import PREFECT_API_URL, temporary_settings
from pydantic import SecretStr

from bench.services import LOOPBACK, PrefectServer, http_get, http_post
from deployments import automations as operator_automations
from deployments import blocks as operator_blocks
from sparkify.alerts import CHECKS_WARNED, emit_check_warnings
from sparkify.quality import CheckResult
from sparkify.settings import get_settings
from tests.support.factories import event, song, write_source
from tests.support.helpers import run_steps
from tests.test_deployment import DEPLOYMENT, NOT_IN_A_CHECKOUT, POOL, REPO, Operator, flow_run_id
from tests.test_security import everything_the_server_kept

#: The webhook URL's secret part, as in a Slack incoming webhook's path: it must show nowhere.
SECRET = "XsecretX" + uuid.uuid4().hex
#: The missed-run alert's period in these tests, set through SPARKIFY_ALERT_MISSED_RUN_MINUTES.
MISSED_RUN_SECONDS = 20
#: How often a run completes while the test shows that completed runs keep the missed-run alert quiet.
RUN_CADENCE_SECONDS = 3
WINDOW = "[2018-11-01T10:00:00, 2018-11-01T11:00:00)"
#: The levels check every run makes, failed by a user whose level is neither free nor paid.
LEVELS_CHECK = "accepted_values(users.level in {free, paid})"


def result(**values: Any) -> CheckResult:
    """A CheckResult from the contract's fields, whichever of them the class has today."""
    names = {field.name for field in fields(CheckResult)}
    return CheckResult(**{key: value for key, value in values.items() if key in names})


WARNINGS = [
    result(
        check="freshness(songplays.start_time)", severity="warn", observed="95 minutes", expected="at most 60 minutes",
        unit="", passed=False,
    ),
    result(
        check="volume(songplays)", severity="warn", observed="3 plays", expected='at least 12 plays ("half")',
        unit="", passed=False,
    ),
    result(check="not_empty(users)", severity="warn", observed="1", expected="at least 1", unit="rows", passed=True),
]  # fmt: skip


# --------------------------------------------------------------------------- the warning event, in process


@pytest.fixture
def events_sent(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], list[Any]]]:
    """Every event this process sends, recorded instead of sent (Prefect's own asserting client)."""
    worker = EventsWorker.instance(AssertingEventsClient)
    monkeypatch.setattr(EventsWorker, "instance", lambda *_: worker)

    def sent() -> list[Any]:
        worker.wait_until_empty()
        return list(getattr(AssertingEventsClient.last, "events", []))  # a client sent nothing has no list

    yield sent
    worker.drain()


@pytest.mark.usefixtures("prefect_harness")
def test_no_warning_event_outside_a_flow_run(events_sent: Callable[[], list[Any]]) -> None:
    emit_check_warnings(WINDOW, WARNINGS)
    assert [e for e in events_sent() if e.event == CHECKS_WARNED] == []


@pytest.mark.usefixtures("prefect_harness")
def test_a_flow_run_with_failed_warnings_emits_one_event_naming_its_run_flow_and_deployment(
    events_sent: Callable[[], list[Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    deployment_id = str(uuid4())
    # the run of a deployment, as prefect.runtime lets a test pretend
    monkeypatch.setenv("PREFECT__RUNTIME__DEPLOYMENT__ID", deployment_id)
    monkeypatch.setenv("PREFECT__RUNTIME__DEPLOYMENT__NAME", "hourly")

    @flow(name="sparkify-alerts-unit")
    def warned() -> None:
        emit_check_warnings(WINDOW, WARNINGS)
        emit_check_warnings(WINDOW, WARNINGS[2:])  # nothing failed: nothing to say

    state = warned(return_state=True)
    assert state.is_completed()
    [sent] = [e for e in events_sent() if e.event == CHECKS_WARNED]
    run_id = state.state_details.flow_run_id
    assert sent.resource.id == f"prefect.flow-run.{run_id}"
    assert sent.resource.name
    related = {resource.role: resource for resource in sent.related}
    assert related["flow"].id.startswith("prefect.flow.")
    assert related["flow"].name == "sparkify-alerts-unit"
    assert (related["deployment"].id, related["deployment"].name) == (f"prefect.deployment.{deployment_id}", "hourly")
    assert sent.payload == {
        "window": WINDOW,
        "deployment": "sparkify-alerts-unit/hourly",
        "failed": [
            {
                "check": "freshness(songplays.start_time)",
                "severity": "warn",
                "observed": "95 minutes",
                "expected": "at most 60 minutes",
            },
            {
                "check": "volume(songplays)",
                "severity": "warn",
                "observed": "3 plays",
                "expected": 'at least 12 plays ("half")',
            },
        ],
    }


# --------------------------------------------------------------------------- the file and the block, offline


def test_the_file_declares_each_alert_through_the_block_the_blocks_command_saves(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    specs = operator_automations.load()
    assert operator_automations.block_references(specs) == {("webhook", operator_blocks.ALERT_BLOCK)}
    block_id = uuid4()
    automations = {
        a.name: a
        for a in operator_automations.resolve(specs, {("webhook", "sparkify-alerts"): block_id}, get_settings())
    }
    assert list(automations) == [
        "sparkify-etl-hourly-skips-missed-runs",
        "sparkify-etl-hourly-alert-failed-run",
        "sparkify-etl-hourly-alert-no-completed-run",
        "sparkify-etl-alert-check-warned",
    ]
    for name, automation in automations.items():
        if "-alert-" in name:
            [action] = automation.actions
            assert (action.type, action.block_document_id) == ("call-webhook", block_id)
    # the file's period is the setting's default, and the setting wins
    missed = automations[operator_automations.MISSED_RUN_ALERT].trigger
    assert missed.within == timedelta(minutes=75) == timedelta(minutes=get_settings().alert_missed_run_minutes)
    monkeypatch.setenv("SPARKIFY_ALERT_MISSED_RUN_MINUTES", "0.5")
    [again] = [
        a.trigger
        for a in operator_automations.resolve(specs, {("webhook", "sparkify-alerts"): block_id}, get_settings())
        if a.name == operator_automations.MISSED_RUN_ALERT
    ]
    assert again.within == timedelta(seconds=30)


def _payload(name: str) -> str:
    [spec] = [spec for spec in operator_automations.load() if spec["name"] == name]
    return spec["actions"][0]["payload"]


def _render(template: str, **context: Any) -> dict[str, Any]:
    """The payload as the Prefect server renders it, parsed as Slack parses it."""
    JinjaTemplateAction._register_filters_if_needed()
    return json.loads(render_user_template_sync(template, context))


def _failed_run(message: str | None, state: StateType = StateType.FAILED, **parameters: Any) -> dict[str, Any]:
    run = FlowRun(
        id=uuid4(),
        name="tangy-heron",
        flow_id=uuid4(),
        parameters=parameters,
        expected_start_time=datetime(2018, 11, 1, 11, tzinfo=UTC),
        state=State(type=state, name=state.value.title(), message=message),
    )
    return {
        "flow_run": run,
        "flow": Flow(name="sparkify-etl"),
        "deployment": Deployment(name="hourly", flow_id=run.flow_id),
    }


@pytest.mark.parametrize(
    ("context", "lines"),
    [
        pytest.param(
            _failed_run(
                f'{WINDOW}: 1 of 24 quality checks failed:\n  - {LEVELS_CHECK} FAILED: observed 1 rows outside the "'
                'accepted" values, expected 0',
                window_start="2018-11-01T10:00:00",
            ),
            [
                ":rotating_light: sparkify-etl/hourly: run tangy-heron Failed",
                f"{WINDOW}: 1 of 24 quality checks failed:",
                f'  - {LEVELS_CHECK} FAILED: observed 1 rows outside the "accepted" values, expected 0',
            ],
            id="failed",
        ),
        pytest.param(
            _failed_run(
                "Flow run infrastructure exited with non-zero status code -9.",
                StateType.CRASHED,
                window_start="2018-11-01T10:00:00",
                window_end="2018-11-01T11:00:00",
            ),
            [
                ":rotating_light: sparkify-etl/hourly: run tangy-heron Crashed",
                f"window: {WINDOW}",
                "Flow run infrastructure exited with non-zero status code -9.",
            ],
            id="crashed",
        ),
        pytest.param(
            _failed_run(None, StateType.CRASHED, interval="hour"),
            [
                ":rotating_light: sparkify-etl/hourly: run tangy-heron Crashed",
                "window: the hour that ended at 2018-11-01 11:00:00+00:00",
                "no message",
            ],
            id="scheduled",
        ),
    ],
)
def test_the_failed_run_alert_is_slack_json_naming_the_deployment_window_and_failure(
    context: dict[str, Any], lines: list[str]
) -> None:
    payload = _render(_payload("sparkify-etl-hourly-alert-failed-run"), **context)
    assert list(payload) == ["text"]
    assert payload["text"].splitlines()[: len(lines)] == lines


def test_the_other_alerts_are_slack_json_too() -> None:
    class Trigger:
        within = timedelta(minutes=75)

    class Automation:
        trigger = Trigger()

    missed = _render(_payload(operator_automations.MISSED_RUN_ALERT), automation=Automation(), event=None)
    assert missed["text"].splitlines() == [
        ":hourglass: sparkify-etl/hourly: no run completed in the last 1 hour and 15 minutes.",
        "No run completed since this alert was set up or last sent.",
    ]

    class Resource:
        name = "tangy-heron"

    class Event:
        resource = Resource()
        payload: ClassVar[dict[str, Any]] = {
            "window": WINDOW,
            "deployment": "sparkify-etl/hourly",
            "failed": [{"check": w.check, "observed": w.observed, "expected": w.expected} for w in WARNINGS[:2]],
        }

    warned = _render(_payload("sparkify-etl-alert-check-warned"), event=Event(), flow_run=None)
    assert warned["text"].splitlines() == [
        f":warning: sparkify-etl/hourly: window {WINDOW}: 2 warning checks did not pass (the run went on)",
        "  - freshness(songplays.start_time): observed 95 minutes, expected at most 60 minutes",
        '  - volume(songplays): observed 3 plays, expected at least 12 plays ("half")',
        "run: tangy-heron",
    ]


def test_the_webhook_block_posts_json_and_a_bad_url_is_refused_without_showing_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SPARKIFY_ALERT_WEBHOOK_URL", f"https://hooks.slack.com/services/T0/B0/{SECRET}")
    block = operator_blocks.alert_webhook(get_settings())
    assert block.url.get_secret_value().endswith(SECRET)
    assert block.headers.get_secret_value() == {"Content-Type": "application/json"}
    assert isinstance(get_settings().alert_webhook_url, SecretStr)
    assert SECRET not in repr(block) + repr(get_settings())
    monkeypatch.setenv("SPARKIFY_ALERT_WEBHOOK_URL", f"hooks.slack.com/services/{SECRET}")
    with pytest.raises(ValueError, match="SPARKIFY_ALERT_WEBHOOK_URL: not an http") as refused:
        operator_blocks.alert_webhook(get_settings())
    assert SECRET not in str(refused.value)
    monkeypatch.delenv("SPARKIFY_ALERT_WEBHOOK_URL")
    assert operator_blocks.alert_webhook(get_settings()) is None


def test_the_operator_loop_shows_the_commands_these_tests_run() -> None:
    loop = (REPO / "deployments" / "README.md").read_text(encoding="utf-8")
    for command in (
        "SPARKIFY_ALERT_WEBHOOK_URL=https://hooks.slack.com/services/T…/B…/… python -m deployments.blocks",
        f'python -c "{TEST_MESSAGE}"',
        "python -m deployments.automations",
        "SPARKIFY_ALERT_MISSED_RUN_MINUTES=90 python -m deployments.automations",
    ):
        assert command in loop, command


# --------------------------------------------------------------------------- end to end: a stand-in for Slack


def wait_until(condition: Callable[[], Any], what: str, timeout: float, interval: float = 0.5) -> Any:
    """Polls until ``condition`` returns something truthy, and returns it: the event pipeline is asynchronous."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


@dataclass(frozen=True)
class Notification:
    path: str
    content_type: str
    body: str
    received: float  # time.monotonic()

    @property
    def text(self) -> str:
        return json.loads(self.body)["text"]


class SlackStandIn(ThreadingHTTPServer):
    """Records every POST, as Slack's incoming webhooks take them, and answers ``ok``."""

    daemon_threads = True

    def __init__(self) -> None:
        self.notifications: list[Notification] = []
        self.lock = threading.Lock()
        super().__init__((LOOPBACK, 0), _Handler)

    def received(self, kind: str = "") -> list[Notification]:
        with self.lock:
            return [n for n in self.notifications if kind in n.body]

    def wait_for(self, what: str, kind: str, condition: Callable[[Notification], bool], timeout: float) -> Notification:
        """The first notification of ``kind`` (a marker in its text) that meets ``condition``, waited for."""
        found = wait_until(lambda: [n for n in self.received(kind) if condition(n)], what, timeout=timeout)
        return found[0]


class _Handler(BaseHTTPRequestHandler):
    server: SlackStandIn

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        with self.server.lock:
            self.server.notifications.append(
                Notification(self.path, self.headers.get("Content-Type", ""), body, time.monotonic())
            )
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:
        """Quiet: the test reads the notifications."""


#: What deployments/README.md has the operator run to see that the block reaches the channel.
TEST_MESSAGE = (
    "import asyncio; from prefect.blocks.webhook import Webhook; "
    "asyncio.run(Webhook.load('sparkify-alerts').call({'text': 'Sparkify alerts: test message'}))"
)
#: Markers of each alert's text.
FAILED, MISSED, WARNED = ":rotating_light:", ":hourglass:", ":warning:"


@pytest.fixture(scope="module")
def slack() -> Iterator[SlackStandIn]:
    server = SlackStandIn()
    thread = threading.Thread(target=server.serve_forever, name="slack-stand-in", daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@dataclass
class Recorded(Operator):
    """The operator of tests/test_deployment.py, keeping every command's output for the scan for the secret."""

    outputs: list[str] = field(default_factory=list)

    def run(self, *argv: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        result = super().run(*argv, **kwargs)
        self.outputs += [result.stdout, result.stderr]
        return result


@dataclass
class Alerting:
    operator: Recorded
    slack: SlackStandIn
    webhook_url: str
    applied_at: float


@pytest.fixture(scope="module")
def alerting(
    prefect_api: PrefectServer, slack: SlackStandIn, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Alerting]:
    """The operator loop of deployments/README.md: pool, deploy, the block, the automations, a worker."""
    checkout = tmp_path_factory.mktemp("alerts") / "checkout"
    shutil.copytree(REPO, checkout, ignore=NOT_IN_A_CHECKOUT)
    # nothing of this machine's AWS or warehouse settings: the block is saved from the webhook's URL alone
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "AWS_", "SPARKIFY_"))}
    env |= {**prefect_api.env, "PREFECT_WORKER_QUERY_SECONDS": "2", "SPARKIFY_RETRY_DELAY_SECONDS": "0"}
    operator = Recorded(prefect_api, checkout, env, logs=tmp_path_factory.mktemp("alert-logs"))
    url = f"http://{LOOPBACK}:{slack.server_port}/services/T0SPARKIFY/B0ALERTS/{SECRET}"
    try:
        operator.prefect("work-pool", "create", POOL, "--type", "process", "--overwrite")
        operator.prefect("--no-prompt", "deploy", "--all")
        saved = operator.run("-m", "deployments.blocks", SPARKIFY_ALERT_WEBHOOK_URL=url)
        assert saved.stdout.splitlines() == ["saved webhook/sparkify-alerts"]
        operator.run("-c", TEST_MESSAGE)  # the README's check that the block reaches the channel
        slack.wait_for("the test message", "Sparkify alerts: test message", lambda n: True, timeout=10)
        period = {"SPARKIFY_ALERT_MISSED_RUN_MINUTES": str(MISSED_RUN_SECONDS / 60)}
        applied = operator.run("-m", "deployments.automations", **period)
        applied_at = time.monotonic()
        names = [line.split()[1] for line in applied.stdout.splitlines()]
        assert names == [spec["name"] for spec in operator_automations.load()], applied.stdout
        # applying again changes nothing: no copies, and the missed-run clock is not reset
        again = operator.run("-m", "deployments.automations", **period)
        assert [line.split()[0] for line in again.stdout.splitlines()] == ["unchanged"] * len(names), again.stdout
        operator.start("worker", "-m", "prefect", "worker", "start", "--pool", POOL)
        wait_until(lambda: operator.post(f"/work_pools/{POOL}/workers/filter", {}), "the worker to poll", timeout=60)
        yield Alerting(operator, slack, url, applied_at)
    finally:
        for process in operator.processes:
            operator.stop(process)
        _leave_the_server_as_found(prefect_api)


def _leave_the_server_as_found(server: PrefectServer) -> None:
    """Without this module's pool, deployment and automations, for the next module on the session's server."""
    with temporary_settings({PREFECT_API_URL: server.api_url}), get_client(sync_client=True) as client:
        for spec in operator_automations.load():
            for automation in client.read_automations_by_name(spec["name"]):
                client.delete_automation(automation.id)
        with contextlib.suppress(ObjectNotFound):
            client.delete_deployment(client.read_deployment_by_name(DEPLOYMENT).id)
        with contextlib.suppress(ObjectNotFound):
            client.delete_work_pool(POOL)


def deployment_run(alerting: Alerting, *args: str, deployment: str = DEPLOYMENT) -> dict[str, Any]:
    """``prefect deployment run … --watch``, through the worker; the run's final record, whatever its state."""
    result = alerting.operator.prefect(
        "deployment", "run", deployment, *args, "--watch", "--watch-timeout", "180", check=False
    )
    return alerting.operator.get(f"/flow_runs/{flow_run_id(result.stdout)}")


def source_with_levels(root: Path, *levels: str) -> str:
    plays = [event(f"2018-11-01T10:{i:02d}:00.100", item=i, level=level) for i, level in enumerate(levels)]
    return str(write_source(root, plays, [song("SOX", "You Gotta Be", artist_id="ARX", artist_name="Des'ree")]))


WINDOW_PARAMS = ("--param", "window_start=2018-11-01T10:00:00", "--param", "window_end=2018-11-01T11:00:00")


def test_a_failed_run_sends_one_alert_naming_the_deployment_the_window_and_the_failed_check(
    alerting: Alerting, tmp_path: Path
) -> None:
    source = source_with_levels(tmp_path / "source", "free", "gold")  # gold: neither free nor paid
    run = deployment_run(
        alerting, "--param", f"source={source}", "--param", f"warehouse=duckdb:///{tmp_path / 'w.duckdb'}",
        *WINDOW_PARAMS,
    )  # fmt: skip
    assert run["state_type"] == "FAILED", run["state"]
    alert = alerting.slack.wait_for("the failed run's alert", FAILED, lambda n: run["name"] in n.text, timeout=60)
    text = alert.text
    assert text.startswith(f"{FAILED} sparkify-etl/hourly: run {run['name']} Failed"), text
    assert WINDOW in text
    assert f"{LEVELS_CHECK} FAILED: observed 1 rows outside the accepted values, expected 0" in text
    # Slack's incoming-webhook shape, at the block's URL
    assert alert.path == f"/services/T0SPARKIFY/B0ALERTS/{SECRET}"
    assert alert.content_type == "application/json"
    assert list(json.loads(alert.body)) == ["text"]


def test_a_failed_audit_sends_the_failed_run_alert_naming_the_check(alerting: Alerting, tmp_path: Path) -> None:
    """The daily audit reads whole tables: a defect no hourly run wrote (a level set by hand) fails it, and alerts."""
    url = f"duckdb:///{tmp_path / 'w.duckdb'}"
    run_steps(source_with_levels(tmp_path / "source", "free", "paid"), url)
    with duckdb.connect(str(tmp_path / "w.duckdb")) as conn:
        conn.execute("UPDATE users SET level = 'gold'")
    run = deployment_run(alerting, "--param", f"warehouse={url}", deployment="sparkify-audit/daily")
    assert run["state_type"] == "FAILED", run["state"]
    alert = alerting.slack.wait_for("the audit's alert", FAILED, lambda n: run["name"] in n.text, timeout=60)
    assert alert.text.startswith(f"{FAILED} sparkify-audit/daily: run {run['name']} Failed"), alert.text
    assert "window:" not in alert.text
    assert f"{LEVELS_CHECK} FAILED: observed 1 rows outside the accepted values, expected 0" in alert.text


def test_a_warning_event_from_a_run_that_completes_alerts_with_each_failed_check(alerting: Alerting) -> None:
    """The flow's side of the contract, emitted by sparkify/alerts.py from a small flow run on the same server."""
    warnings = json.dumps([{f.name: getattr(w, f.name) for f in fields(w)} for w in WARNINGS])
    probe = textwrap.dedent(
        f"""
        import json
        from prefect import flow
        from sparkify.alerts import emit_check_warnings
        from sparkify.quality import CheckResult

        @flow(name="sparkify-alerts-probe")
        def probe() -> None:
            emit_check_warnings({WINDOW!r}, [CheckResult(**values) for values in json.loads({warnings!r})])

        state = probe(return_state=True)
        print(state.state_details.flow_run_id, state.type.value)
        """
    )
    run_id, state = alerting.operator.run("-c", probe).stdout.split()[-2:]
    assert state == "COMPLETED"
    run = alerting.operator.get(f"/flow_runs/{run_id}")
    alert = alerting.slack.wait_for("the warning alert", WARNED, lambda n: run["name"] in n.text, timeout=60)
    assert alert.text.splitlines()[:3] == [
        f"{WARNED} {run['name']}: window {WINDOW}: 2 warning checks did not pass (the run went on)",
        "  - freshness(songplays.start_time): observed 95 minutes, expected at most 60 minutes",
        '  - volume(songplays): observed 3 plays, expected at least 12 plays ("half")',
    ]
    # the event as the server keeps it: the run, its flow, the contract's payload
    query = {"filter": {"event": {"name": [CHECKS_WARNED]}, "resource": {"id": [f"prefect.flow-run.{run_id}"]}}}
    [kept] = wait_until(lambda: alerting.operator.post("/events/filter", query)["events"], "the event", timeout=30)
    assert {(r["prefect.resource.role"], r.get("prefect.resource.name")) for r in kept["related"]} >= {
        ("flow", "sparkify-alerts-probe")
    }
    assert kept["payload"]["deployment"] == ""
    assert [f["check"] for f in kept["payload"]["failed"]] == ["freshness(songplays.start_time)", "volume(songplays)"]


def test_the_missed_run_alert_fires_when_no_run_completes_in_its_period(alerting: Alerting) -> None:
    alert = alerting.slack.wait_for("the missed-run alert", MISSED, lambda n: True, timeout=MISSED_RUN_SECONDS + 30)
    # not before its period was over
    assert alert.received - alerting.applied_at >= MISSED_RUN_SECONDS - 1
    assert alert.text.splitlines() == [
        f"{MISSED} sparkify-etl/hourly: no run completed in the last {MISSED_RUN_SECONDS} seconds.",
        "No run completed since this alert was set up or last sent.",
    ]


def test_the_missed_run_alert_keeps_quiet_while_runs_complete_and_names_the_last_one(alerting: Alerting) -> None:
    """Runs of the deployment complete every few seconds, for more than a period: no alert; then one, naming the last.

    The runs are reported Running, then Completed, through the API, as the worker's flow runs report
    themselves: the server emits the same ``prefect.flow-run.Completed`` events, at a pace a busy
    machine cannot upset (real runs are what the other tests start).
    """
    slack, operator = alerting.slack, alerting.operator
    deployment_id = operator.deployment()["id"]
    completed: list[tuple[float, str]] = []  # when each run completed, and its name
    while not completed or completed[-1][0] - completed[0][0] < MISSED_RUN_SECONDS * 1.2:
        run = operator.post(f"/deployments/{deployment_id}/create_flow_run", {"state": {"type": "RUNNING"}})
        done = operator.post(f"/flow_runs/{run['id']}/set_state", {"state": {"type": "COMPLETED"}})
        assert done["status"] == "ACCEPT", done
        completed.append((time.monotonic(), run["name"]))
        time.sleep(RUN_CADENCE_SECONDS)
    gaps = [later[0] - earlier[0] for earlier, later in itertools.pairwise(completed)]
    assert max(gaps) < MISSED_RUN_SECONDS / 2, f"runs too far apart for the test's period: {gaps}"
    # once they stop, the alert is back a period after the last completed run, and names it
    alert = slack.wait_for(
        "the missed-run alert after the runs", MISSED, lambda n: n.received > completed[-1][0], MISSED_RUN_SECONDS + 30
    )
    assert alert.received - completed[-1][0] >= MISSED_RUN_SECONDS - 5
    assert f"The last completed run: {completed[-1][1]}, at " in alert.text
    # and none came while they completed: an alert would name the run before it; one of the period before the first
    # run may have been on its way as it completed
    early = [n.text for n in slack.received(MISSED) if any(f"run: {name}," in n.text for _, name in completed[:-1])]
    assert early == []
    settled = completed[0][0] + 10
    assert [n.text for n in slack.received(MISSED) if settled < n.received <= completed[-1][0]] == []


def test_each_alert_was_sent_once_and_the_webhook_url_shows_nowhere(alerting: Alerting) -> None:
    """By now every alert of the tests above has had time to be repeated, had it been going to be."""
    slack, operator = alerting.slack, alerting.operator
    failed, warned = slack.received(FAILED), slack.received(WARNED)
    assert len(failed) == 2, [n.text for n in failed]  # the hourly run's and the audit's
    assert len(warned) == 1, [n.text for n in warned]
    kept = [
        everything_the_server_kept(operator.server, "2000-01-01T00:00:00+00:00"),
        json.dumps(operator.post("/block_documents/filter", {"include_secrets": False})),
        json.dumps(operator.post("/automations/filter", {})),
        json.dumps(_events(operator.server)),
        operator.server.log_file.read_text(errors="replace"),
        *(path.read_text(errors="replace") for path in operator.logs.iterdir()),
        *operator.outputs,
    ]
    assert alerting.webhook_url.rsplit("/", 1)[-1] == SECRET
    assert any("prefect.automation.action.executed" in text for text in kept)  # the scan saw the alerts' traces
    for text in kept:
        assert SECRET not in text


def _events(server: PrefectServer) -> list[dict[str, Any]]:
    """Every event the server kept, the automations' own (triggered, action executed or failed) included."""
    status, body = http_post(f"{server.api_url}/events/filter", {"limit": 50})
    assert status == 200, body
    page = json.loads(body)
    events = list(page["events"])
    while page.get("next_page"):
        status, body = http_get(page["next_page"])
        assert status == 200, body
        page = json.loads(body)
        events += page["events"]
    return events


# --------------------------------------------------------------------------- the lead's flow: a warning, for real


def test_a_run_failing_a_warning_check_completes_and_alerts(alerting: Alerting, tmp_path: Path) -> None:
    """The flow's contract (design/CONTRACTS.md): a failed warn-level check completes the run and emits the event.

    With SPARKIFY_FRESHNESS_WARN_MINUTES=0 in the run's environment, the freshness check warns on every run.
    """
    source = source_with_levels(tmp_path / "source", "free", "paid")
    run = deployment_run(
        alerting, "--param", f"source={source}", "--param", f"warehouse=duckdb:///{tmp_path / 'w.duckdb'}",
        *WINDOW_PARAMS, "--job-variable", 'env={"SPARKIFY_FRESHNESS_WARN_MINUTES": "0"}',
    )  # fmt: skip
    assert run["state_type"] == "COMPLETED", run["state"]
    alert = alerting.slack.wait_for(
        "the warning alert of a deployment run", WARNED, lambda n: run["name"] in n.text, timeout=30
    )
    lines = alert.text.splitlines()
    assert lines[0].startswith(f"{WARNED} sparkify-etl/hourly: window {WINDOW}: "), lines
    assert any(line.startswith("  - freshness") and ": observed " in line and ", expected " in line for line in lines)
