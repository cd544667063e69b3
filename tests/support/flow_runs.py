"""Flow runs as separate processes against the session's real Prefect server: what a worker does.

The fault and concurrency tests start ``python -m flows.etl`` as an operator would,
watch its task runs through the Prefect API and may ``kill -9`` it at a chosen point.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.services import PrefectServer, http_post

REPO = Path(__file__).resolve().parents[2]
#: Longest a run of the tests' small sources may take, starting Python and Prefect included.
RUN_TIMEOUT_S = 180.0


def run_env(server: PrefectServer, **extra: str) -> dict[str, str]:
    """Our environment pointed at ``server``, retries without delay."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    return {**env, **server.env, "SPARKIFY_RETRY_DELAY_SECONDS": "0", **extra}


def start(server: PrefectServer, *argv: str, **extra_env: str) -> subprocess.Popen[str]:
    """``python -m flows.etl ARGV`` in its own process group, output captured."""
    return subprocess.Popen(
        [sys.executable, "-m", "flows.etl", *argv],
        cwd=REPO,
        env=run_env(server, **extra_env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def finish(process: subprocess.Popen[str], timeout: float = RUN_TIMEOUT_S) -> tuple[str, str]:
    """Waits for the run; returns its stdout and stderr, asserting it succeeded."""
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    finally:
        kill(process)
    assert process.returncode == 0, f"exit {process.returncode}\n{stdout[-3000:]}\n{stderr[-3000:]}"
    return stdout, stderr


def kill(process: subprocess.Popen[str]) -> None:
    """kill -9 the run's process group: no cleanup, no last state sent to the server."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.communicate(timeout=30)


def api(server: PrefectServer, path: str, payload: dict[str, Any]) -> Any:
    status, body = http_post(f"{server.api_url}{path}", payload)
    assert status in (200, 201), f"{path}: HTTP {status} {body[:500]!r}"
    return json.loads(body)


def now() -> str:
    return datetime.now(UTC).isoformat()


def task_runs(server: PrefectServer, since: str, name: str, states: tuple[str, ...]) -> list[dict[str, Any]]:
    """Task runs of task ``name`` in one of ``states`` that started after ``since`` (tests run one at a time).

    Prefect names a task run after its task plus a short suffix (``stage-events-1a2``) unless the task names it.
    """
    found = api(
        server,
        "/task_runs/filter",
        {
            "task_runs": {
                "name": {"like_": name},
                "start_time": {"after_": since},
                "state": {"type": {"any_": list(states)}},
            }
        },
    )
    return [run for run in found if name in (run["name"], run["name"].rsplit("-", 1)[0])]


def wait_for(condition: Callable[[], Any], what: str, process: subprocess.Popen[str] | None = None) -> Any:
    """Polls ``condition`` until it holds; fails if ``process`` ends first or time runs out."""
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the run ended (exit {process.returncode}) before {what}: {process.stderr.read()}")
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")
