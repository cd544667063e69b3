"""What Prefect recorded about a flow run, and what the probe saw inside it, joined per task run.

A flow run started without ``PREFECT_API_URL`` talks to a temporary API server that stops when the
process ends; the server keeps its records in ``$PREFECT_HOME/prefect.db`` (SQLite), which outlives
it. The benchmark gives its processes their own ``PREFECT_HOME`` and reads that file afterwards:
the flow run's and each task run's state history (PENDING, RUNNING, COMPLETED...), whose timestamps
the client engine stamps on the same wall clock as ``time.time()``. Only the columns that have been
stable since Prefect 2 are read (``flow_run``, ``flow``, ``task_run`` and their ``*_state`` tables).

The probe (``bench/hooks/sitecustomize.py``) adds what Prefect does not record: when each task body
started and ended, and how long the task engine ran around it.
"""

from __future__ import annotations

import json
import sqlite3
import statistics
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

TERMINAL = ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")


def _epoch(text: str) -> float:
    """Prefect's SQLite timestamps are naive UTC text."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


@dataclass
class StateTimes:
    """First PENDING, first RUNNING and the terminal state's timestamps (epoch seconds)."""

    pending: float | None = None
    running: float | None = None
    terminal: float | None = None
    final_state: str = ""

    def add(self, state_type: str, timestamp: float) -> None:
        if state_type == "PENDING" and self.pending is None:
            self.pending = timestamp
        elif state_type == "RUNNING" and self.running is None:
            self.running = timestamp
        elif state_type in TERMINAL:
            self.terminal, self.final_state = timestamp, state_type


@dataclass
class TaskRun:
    id: str
    name: str
    times: StateTimes
    body_start: float | None = None
    body_end: float | None = None
    engine_start: float | None = None
    engine_end: float | None = None

    @property
    def recorded_seconds(self) -> float | None:
        """The task run's wall time as Prefect records it: its first state to its terminal state."""
        first = self.times.pending if self.times.pending is not None else self.times.running
        if first is None or self.times.terminal is None:
            return None
        return self.times.terminal - first

    @property
    def body_seconds(self) -> float | None:
        if self.body_start is None or self.body_end is None:
            return None
        return self.body_end - self.body_start

    @property
    def engine_seconds(self) -> float | None:
        if self.engine_start is None or self.engine_end is None:
            return None
        return self.engine_end - self.engine_start

    @property
    def overhead_seconds(self) -> float | None:
        """What Prefect's engine spent on this task run in the process, outside the task's body."""
        if self.engine_seconds is None or self.body_seconds is None:
            return None
        return self.engine_seconds - self.body_seconds

    @property
    def recorded_overhead_seconds(self) -> float | None:
        """Prefect's recorded wall time minus the body's."""
        if self.recorded_seconds is None or self.body_seconds is None:
            return None
        return self.recorded_seconds - self.body_seconds


@dataclass
class FlowRun:
    id: str
    name: str
    flow: str
    times: StateTimes
    task_runs: list[TaskRun] = field(default_factory=list)

    def body_busy_seconds(self) -> float:
        """Wall time during which at least one task body was running (parallel bodies count once)."""
        intervals = sorted(
            (run.body_start, run.body_end)
            for run in self.task_runs
            if run.body_start is not None and run.body_end is not None
        )
        busy, end = 0.0, float("-inf")
        for start, stop in intervals:
            if stop <= end:
                continue
            busy += stop - max(start, end)
            end = stop
        return busy

    def median_overhead_seconds(self) -> float | None:
        values = [run.overhead_seconds for run in self.task_runs if run.overhead_seconds is not None]
        return statistics.median(values) if values else None

    def median_recorded_overhead_seconds(self) -> float | None:
        values = [run.recorded_overhead_seconds for run in self.task_runs if run.recorded_overhead_seconds is not None]
        return statistics.median(values) if values else None


def flow_run_ids(database: Path) -> set[str]:
    """The flow runs already recorded, to tell a new run from earlier ones."""
    if not database.exists():
        return set()
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        return {row[0] for row in connection.execute("SELECT id FROM flow_run")}


def read_flow_runs(database: Path, exclude: set[str], trace: Path | None = None) -> list[FlowRun]:
    """The flow runs recorded in ``database`` but not in ``exclude``, with their task runs and the probe's times."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        runs = {
            run_id: FlowRun(run_id, name, flow, StateTimes())
            for run_id, name, flow in connection.execute(
                "SELECT flow_run.id, flow_run.name, flow.name FROM flow_run JOIN flow ON flow.id = flow_run.flow_id"
            )
            if run_id not in exclude
        }
        for run_id, state_type, timestamp in connection.execute(
            "SELECT flow_run_id, type, timestamp FROM flow_run_state ORDER BY timestamp"
        ):
            if run_id in runs:
                runs[run_id].times.add(state_type, _epoch(timestamp))
        task_runs: dict[str, TaskRun] = {}
        for task_run_id, name, run_id in connection.execute("SELECT id, name, flow_run_id FROM task_run"):
            if run_id in runs:
                task_runs[task_run_id] = TaskRun(task_run_id, name, StateTimes())
                runs[run_id].task_runs.append(task_runs[task_run_id])
        for task_run_id, state_type, timestamp in connection.execute(
            "SELECT task_run_id, type, timestamp FROM task_run_state ORDER BY timestamp"
        ):
            if task_run_id in task_runs:
                task_runs[task_run_id].times.add(state_type, _epoch(timestamp))
    if trace is not None and trace.exists():
        for line in trace.read_text(encoding="utf-8").splitlines():
            probe = json.loads(line)
            task_run = task_runs.get(probe.get("task_run_id") or "")
            if task_run is not None:
                task_run.body_start, task_run.body_end = probe["body_start"], probe["body_end"]
                task_run.engine_start, task_run.engine_end = probe["engine_start"], probe["engine_end"]
    for run in runs.values():
        run.task_runs.sort(key=lambda task_run: task_run.times.pending or task_run.times.running or 0.0)
    return sorted(runs.values(), key=lambda run: run.times.pending or run.times.running or 0.0)
