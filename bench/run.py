"""``python -m bench.run``: the performance benchmark of issue 6, in one run.

Generates a source, then measures, each as its own child process started the way a user starts it:
the pipeline end to end (``python -m flows.etl``) on the DuckDB default, the floor (``bench/floor.py``:
DuckDB alone), Prefect's fixed cost (``bench/trivial_flow.py``), the incremental cost of one new day,
and PostgreSQL staging (COPY against per-row INSERTs). Writes ``latest.md`` and ``latest.json`` under
``--out`` and prints every figure with its target. bench/README.md says how each figure is measured.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import os
import platform
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from bench import measure
from bench.prefect_records import FlowRun, flow_run_ids, read_flow_runs
from bench.report import Figure, Report, judged
from bench.services import PrefectServer, prefect_server
from sparkify import prefect_defaults
from sparkify.sample import GeneratorConfig, generate

REPO = Path(__file__).resolve().parent.parent
HOOKS = REPO / "bench" / "hooks"
TABLES = ("songplays", "users", "songs", "artists", "time")
PACKAGES = ("prefect", "duckdb", "duckdb-engine", "SQLAlchemy", "psycopg", "orjson", "sqlglot")

#: The issue's targets.
GENERATOR_EVENTS_PER_SECOND = 200_000
END_TO_END_RATIO = 1.25
PEAK_RSS_BYTES = 2_000_000_000
INCREMENTAL_RATIO = 1.5
TASK_OVERHEAD_SECONDS = 0.050
COPY_EVENTS_PER_SECOND = 100_000
COPY_OVER_INSERT = 50.0
#: With --server, how long to wait for the server to record the states of a finished process's task runs.
RECORDS_WAIT_SECONDS = 30

T = TypeVar("T")


class BenchError(RuntimeError):
    """A measured process failed: its figures would mean nothing."""


@dataclass
class ProcessRun:
    """One measured child process and, for a flow, what Prefect recorded about its run."""

    label: str
    measurement: measure.Measurement
    flow_run: FlowRun | None = None
    warehouse: Path | None = None

    @property
    def wall(self) -> float:
        return self.measurement.wall_seconds

    def flow_seconds(self) -> float | None:
        """The flow run's wall time as Prefect records it: its first state to its terminal state."""
        times = self.flow_run.times if self.flow_run else None
        first = times and (times.pending or times.running)
        if not times or first is None or times.terminal is None:
            return None
        return times.terminal - first


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.work: Path = args.work.resolve()
        self.source = self.work / "source"
        self.warehouses = self.work / "warehouses"
        self.logs = self.work / "logs"
        self.traces = self.work / "traces"
        self.prefect_home = self.work / "prefect-home"
        self.prefect_db = self.prefect_home / "prefect.db"
        #: With --server, the environment that points every flow process at the benchmark's server.
        self.server_env: dict[str, str] = {}

    def use_server(self, server: PrefectServer) -> None:
        """Flow processes report to ``server`` (SQLite in its home) instead of each starting a temporary one."""
        self.prefect_db = server.home / "prefect.db"
        self.server_env = server.env

    # -- child processes ------------------------------------------------------------------
    def _env(self, trace: Path | None) -> dict[str, str]:
        # no Prefect setting of the caller; without --server no PREFECT_API_URL either: each flow process
        # starts Prefect's temporary server, as `python -m flows.etl` does on a laptop
        env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_")}
        env["PREFECT_HOME"] = str(self.prefect_home)
        env.update(self.server_env)
        env.update(prefect_defaults.DEFAULTS)  # what `python -m flows.etl` sets for itself: the trivial flow too
        if trace is not None:
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HOOKS), env.get("PYTHONPATH")]))
            env["SPARKIFY_BENCH_TRACE"] = str(trace)
        return env

    def process(self, label: str, command: Sequence[str], *, flow: bool) -> ProcessRun:
        """Runs and measures one child process; for a flow, also reads its Prefect records and probe trace."""
        trace = self.traces / f"{label}.jsonl" if flow else None
        if trace is not None:
            trace.parent.mkdir(parents=True, exist_ok=True)
            trace.unlink(missing_ok=True)
        before = flow_run_ids(self.prefect_db) if flow else set()
        log = self.logs / f"{label}.log"
        result = measure.run(command, cwd=REPO, env=self._env(trace), log_file=log, timeout=self.args.timeout)
        if not result.ok:
            tail = "\n".join(result.log.splitlines()[-25:])
            raise BenchError(f"{label} failed with exit code {result.returncode} ({log}):\n{tail}")
        flow_run = None
        if flow:
            runs = self._recorded_runs(before, trace)
            flow_run = runs[-1] if runs else None
        print(f"  {label}: {result.wall_seconds:.2f} s", flush=True)
        return ProcessRun(label, result, flow_run)

    def _recorded_runs(self, before: set[str], trace: Path | None) -> list[FlowRun]:
        """The flow runs a process left; a server of the benchmark's records task states a moment after they end."""
        deadline = time.monotonic() + (RECORDS_WAIT_SECONDS if self.server_env else 0)
        while True:
            runs = read_flow_runs(self.prefect_db, before, trace)
            settled = runs and all(task_run.times.terminal is not None for task_run in runs[-1].task_runs)
            if settled or time.monotonic() > deadline:
                return runs
            time.sleep(0.2)

    def etl(self, label: str, warehouse: Path, window: tuple[date, date] | None = None) -> ProcessRun:
        command = [
            sys.executable,
            "-m",
            "flows.etl",
            "--source",
            str(self.source),
            "--warehouse",
            f"duckdb:///{warehouse}",
        ]
        if window is not None:
            command += ["--window-start", window[0].isoformat(), "--window-end", window[1].isoformat()]
        run = self.process(label, command, flow=True)
        run.warehouse = warehouse
        return run

    def trivial(self, label: str) -> ProcessRun:
        return self.process(label, [sys.executable, str(REPO / "bench" / "trivial_flow.py")], flow=True)

    def floor(self, label: str, warehouse: Path) -> ProcessRun:
        command = [sys.executable, str(REPO / "bench" / "floor.py"), "--source", str(self.source)]
        run = self.process(label, [*command, "--database", str(warehouse)], flow=False)
        run.warehouse = warehouse
        return run

    def fresh_warehouse(self, name: str) -> Path:
        path = self.warehouses / f"{name}.duckdb"
        for stale in (path, path.with_suffix(".duckdb.wal")):
            stale.unlink(missing_ok=True)
        return path

    # -- the benchmark ----------------------------------------------------------------------
    def run(self) -> Report:
        args = self.args
        if self.work.exists():
            shutil.rmtree(self.work)
        self.warehouses.mkdir(parents=True)
        report = Report(machine=describe_machine(), parameters=self.parameters())
        load_before = os.getloadavg()

        print(f"generating {args.events:,} events over {args.days} days, {args.songs:,} songs ...", flush=True)
        config = GeneratorConfig(events=args.events, songs=args.songs, users=args.users, days=args.days, seed=args.seed)
        started = time.perf_counter()
        generated = generate(self.source, config)
        generator_seconds = time.perf_counter() - started
        rate = generated.events / generator_seconds
        report.add(
            Figure(
                "generator_events_per_second",
                "Generator speed",
                rate,
                "events/s",
                ",.0f",
                f"≥ {GENERATOR_EVENTS_PER_SECOND:,} events/s",
                judged(rate, GENERATOR_EVENTS_PER_SECOND, ">="),
                f"{generated.events:,} events in {generated.event_files:,} day files + {generated.song_files:,} "
                f"song files, {generated.bytes_written / 1e6:,.0f} MB in {generator_seconds:.2f} s (in-process)",
            )
        )

        if not args.no_warmup:
            print("warm-up (untimed): one trivial flow creates the Prefect database ...", flush=True)
            self.trivial("warmup-trivial-flow")

        print(f"end to end, floor and Prefect's fixed cost ({args.repeat}x) ...", flush=True)
        trivial_runs, floor_runs, etl_runs = [], [], []
        for attempt in range(1, args.repeat + 1):
            trivial_runs.append(self.trivial(f"trivial-flow-{attempt}"))
            floor_runs.append(self.floor(f"floor-{attempt}", self.fresh_warehouse(f"floor-{attempt}")))
            etl_runs.append(self.etl(f"end-to-end-{attempt}", self.fresh_warehouse(f"end-to-end-{attempt}")))
        trivial_run = min(trivial_runs, key=lambda run: run.wall)
        floor_run = min(floor_runs, key=lambda run: run.wall)
        etl_run = min(etl_runs, key=lambda run: run.wall)
        paired = [
            etl.wall / (floor.wall + trivial.wall)
            for etl, floor, trivial in zip(etl_runs, floor_runs, trivial_runs, strict=True)
        ]
        self.report_end_to_end(report, generated.events, etl_run, floor_run, trivial_run, paired)
        report.details["samples"] = {
            "end_to_end_seconds": [run.wall for run in etl_runs],
            "floor_seconds": [run.wall for run in floor_runs],
            "trivial_flow_seconds": [run.wall for run in trivial_runs],
            "ratio_per_repetition": paired,
            "end_to_end_cpu_seconds": [run.measurement.cpu_seconds for run in etl_runs],
            "floor_cpu_seconds": [run.measurement.cpu_seconds for run in floor_runs],
            "trivial_flow_cpu_seconds": [run.measurement.cpu_seconds for run in trivial_runs],
        }
        self.report_tables_match(report, etl_run, floor_run)
        self.report_orchestration(report, etl_run, trivial_run)

        if args.skip_incremental:
            report.notes.append("Incremental cost skipped (--skip-incremental).")
        else:
            print(f"incremental: {args.history_days} days loaded, then one new day ({args.repeat}x) ...", flush=True)
            self.report_incremental(report)

        print(f"CSV event logs: DuckDB staging of {args.csv_events:,} events as CSV and as JSON lines ...", flush=True)
        self.report_csv(report)

        if args.skip_postgres:
            report.notes.append("PostgreSQL staging skipped (--skip-postgres).")
        else:
            print("PostgreSQL staging: COPY of every event, then COPY and per-row INSERTs of a sample ...", flush=True)
            self.report_postgres(report)

        report.machine["load average at start (1, 5, 15 min)"] = ", ".join(f"{load:.2f}" for load in load_before)
        report.machine["load average at end (1, 5, 15 min)"] = ", ".join(f"{load:.2f}" for load in os.getloadavg())
        report.notes += NOTES
        if self.server_env:
            report.notes.append(
                "--server: the flow processes reported to one Prefect server started for the benchmark; the note "
                "above on the temporary server does not apply, and no figure includes a server's start."
            )
        return report

    def parameters(self) -> dict[str, Any]:
        args = self.args
        return {
            "command": "python -m bench.run " + " ".join(shlex.quote(arg) for arg in sys.argv[1:]),
            "events": args.events,
            "days": args.days,
            "songs": args.songs,
            "users": args.users,
            "seed": args.seed,
            "repeat": args.repeat,
            "history days (incremental)": args.history_days,
            "insert sample (events)": args.sample_events,
            "work folder": str(self.work),
        }

    # -- figures ---------------------------------------------------------------------------------
    def report_end_to_end(
        self,
        report: Report,
        events: int,
        etl: ProcessRun,
        floor: ProcessRun,
        trivial: ProcessRun,
        paired: list[float],
    ) -> None:
        memory = etl.measurement
        ratio = etl.wall / (floor.wall + trivial.wall)
        best = f" (best of {self.args.repeat})" if self.args.repeat > 1 else ""
        report.add(Figure("end_to_end_seconds", "End to end (python -m flows.etl)" + best, etl.wall, "s"))
        report.add(
            Figure("end_to_end_events_per_second", "End to end throughput", events / etl.wall, "events/s", ",.0f")
        )
        report.add(Figure("floor_seconds", "Floor (DuckDB alone)" + best, floor.wall, "s"))
        report.add(Figure("prefect_fixed_cost_seconds", "Prefect fixed cost (trivial flow)" + best, trivial.wall, "s"))
        report.add(
            Figure(
                "end_to_end_ratio",
                "End to end / (floor + fixed cost)",
                ratio,
                "",
                ".3f",
                f"≤ {END_TO_END_RATIO}",
                judged(ratio, END_TO_END_RATIO, "<="),
                f"{etl.wall:.2f} s / ({floor.wall:.2f} s + {trivial.wall:.2f} s), the best run of each; "
                "each repetition's own ratio: " + ", ".join(f"{value:.3f}" for value in paired),
            )
        )
        cpu = etl.measurement.cpu_seconds / (floor.measurement.cpu_seconds + trivial.measurement.cpu_seconds)
        report.add(
            Figure(
                "end_to_end_cpu_ratio",
                "Same ratio in CPU time (user + system)",
                cpu,
                "",
                ".3f",
                note=f"{etl.measurement.cpu_seconds:.2f} s / ({floor.measurement.cpu_seconds:.2f} s + "
                f"{trivial.measurement.cpu_seconds:.2f} s) of CPU, each process with the children it waited for: "
                "the work done, whatever else ran on the machine",
            )
        )
        report.add(
            Figure(
                "peak_rss_bytes",
                "Peak RSS, flow process + its children",
                memory.tree_peak_rss_bytes / 1e6,
                "MB",
                ",.0f",
                f"< {PEAK_RSS_BYTES / 1e6:,.0f} MB",
                judged(memory.tree_peak_rss_bytes, PEAK_RSS_BYTES, "<"),
                "largest sum, at one sample, of the RSS of the flow process and every descendant (Prefect's "
                f"temporary server); the flow process alone peaked at {memory.root_peak_rss_bytes / 1e6:,.0f} MB, "
                f"its children at {memory.descendants_peak_rss_bytes() / 1e6:,.0f} MB together; the kernel's "
                f"ru_maxrss (largest single process) says {memory.max_rss_bytes / 1e6:,.0f} MB",
            )
        )
        report.details["end_to_end"] = _measurement_details(etl)
        report.details["floor"] = {**_measurement_details(floor), "floor": _floor_output(floor)}
        report.details["trivial_flow"] = _measurement_details(trivial)
        report.tables["Memory and CPU of the end-to-end process tree"] = [
            {
                "pid": process.pid,
                "process": process.command,
                "peak RSS (MB)": round(process.peak_rss_bytes / 1e6),
                "CPU (s)": round(process.cpu_seconds, 2),
            }
            for process in memory.processes
        ]
        floor_steps = _floor_output(floor).get("steps", {})
        report.tables["Floor steps (s)"] = [{"step": step, "seconds": seconds} for step, seconds in floor_steps.items()]

    def report_tables_match(self, report: Report, etl: ProcessRun, floor: ProcessRun) -> None:
        """The floor is only a floor if it builds what the pipeline builds: same tables, same row counts."""
        pipeline = _row_counts(etl.warehouse)
        reference = _floor_output(floor).get("rows", {})
        same = all(pipeline.get(table) == reference.get(table) for table in TABLES)
        report.tables["Rows built: pipeline vs floor"] = [
            {"table": table, "pipeline": pipeline.get(table), "floor": reference.get(table)} for table in TABLES
        ]
        report.add(
            Figure(
                "floor_matches_pipeline",
                "Floor builds the same tables (row counts)",
                float(sum(pipeline.get(table) == reference.get(table) for table in TABLES)),
                f"of {len(TABLES)} tables",
                ".0f",
                "all equal",
                same,
            )
        )

    def report_orchestration(self, report: Report, etl: ProcessRun, trivial: ProcessRun) -> None:
        flow_run = etl.flow_run
        if flow_run is None or not any(run.body_seconds is not None for run in flow_run.task_runs):
            report.notes.append("Orchestration figures unavailable: no Prefect records or probe trace for the run.")
            for key, label in (
                ("prefect_share", "Prefect's share of end to end"),
                ("task_overhead_ms", "Per-task overhead, median"),
            ):
                report.add(Figure(key, label, None, ""))
            return
        busy = flow_run.body_busy_seconds()
        outside = etl.wall - busy
        times = flow_run.times
        flow_start = times.pending or times.running or etl.measurement.started_at
        flow_end = times.terminal or etl.measurement.ended_at
        phases = {
            "process start → flow run created (interpreter, imports, temporary server start)": flow_start
            - etl.measurement.started_at,
            "flow run, outside task bodies": (flow_end - flow_start) - busy,
            "task bodies (wall time with at least one running)": busy,
            "flow run end → process exit (temporary server stop)": etl.measurement.ended_at - flow_end,
        }
        report.add(
            Figure(
                "prefect_share",
                "Prefect's share of end to end",
                outside / etl.wall,
                "",
                ".1%",
                note=f"{outside:.2f} s of {etl.wall:.2f} s were spent outside task bodies: "
                + "; ".join(f"{phase} {seconds:.2f} s" for phase, seconds in phases.items()),
            )
        )
        overhead = flow_run.median_overhead_seconds()
        recorded = flow_run.median_recorded_overhead_seconds()
        trivial_overhead = trivial.flow_run.median_overhead_seconds() if trivial.flow_run else None
        report.add(
            Figure(
                "task_overhead_ms",
                "Per-task overhead, median",
                None if overhead is None else overhead * 1000,
                "ms",
                ".1f",
                f"< {TASK_OVERHEAD_SECONDS * 1000:.0f} ms",
                judged(overhead, TASK_OVERHEAD_SECONDS, "<"),
                f"task engine time minus task body time, median of {len(flow_run.task_runs)} task runs; as Prefect "
                f"records it (PENDING → COMPLETED minus body): "
                f"{'n/a' if recorded is None else f'{recorded * 1000:.1f} ms'}; in the trivial flow: "
                f"{'n/a' if trivial_overhead is None else f'{trivial_overhead * 1000:.1f} ms'}",
            )
        )
        report.tables["End-to-end task runs"] = [
            {
                "task run": run.name,
                "wall as Prefect records it (s)": _round(run.recorded_seconds),
                "RUNNING → COMPLETED (s)": _round(
                    None
                    if run.times.running is None or run.times.terminal is None
                    else run.times.terminal - run.times.running
                ),
                "body (s)": _round(run.body_seconds),
                "engine (s)": _round(run.engine_seconds),
                "overhead (ms)": _round(None if run.overhead_seconds is None else run.overhead_seconds * 1000, 1),
            }
            for run in flow_run.task_runs
        ]
        report.tables["Where the end-to-end time went"] = [
            {"phase": phase, "seconds": round(seconds, 3), "share": f"{seconds / etl.wall:.1%}"}
            for phase, seconds in phases.items()
        ]

    def report_incremental(self, report: Report) -> None:
        args = self.args
        first = GeneratorConfig().start
        history = (first, first + timedelta(days=args.history_days))
        new_day = (history[1], history[1] + timedelta(days=1))
        loaded = self.fresh_warehouse("history")
        history_run = self.etl("incremental-history", loaded, history)
        empty_runs, loaded_runs = [], []
        for attempt in range(1, args.repeat + 1):
            empty_runs.append(
                self.etl(f"new-day-empty-{attempt}", self.fresh_warehouse(f"new-day-empty-{attempt}"), new_day)
            )
            copy = self.fresh_warehouse(f"new-day-loaded-{attempt}")
            shutil.copyfile(loaded, copy)
            if loaded.with_suffix(".duckdb.wal").exists():
                shutil.copyfile(loaded.with_suffix(".duckdb.wal"), copy.with_suffix(".duckdb.wal"))
            loaded_runs.append(self.etl(f"new-day-loaded-{attempt}", copy, new_day))
        empty = min(empty_runs, key=lambda run: run.wall)
        on_history = min(loaded_runs, key=lambda run: run.wall)
        ratio = on_history.wall / empty.wall
        flow_ratio = _ratio(_best(loaded_runs, ProcessRun.flow_seconds), _best(empty_runs, ProcessRun.flow_seconds))
        report.add(Figure("incremental_empty_seconds", "One new day, empty warehouse", empty.wall, "s"))
        report.add(
            Figure("incremental_loaded_seconds", f"One new day, {args.history_days} days loaded", on_history.wall, "s")
        )
        report.add(
            Figure(
                "incremental_ratio",
                "Incremental cost ratio (loaded / empty)",
                ratio,
                "",
                ".3f",
                f"≤ {INCREMENTAL_RATIO}",
                judged(ratio, INCREMENTAL_RATIO, "<="),
                f"whole processes; the flow runs alone (as Prefect records them) give "
                f"{'n/a' if flow_ratio is None else f'{flow_ratio:.3f}'}; window {new_day[0]} → {new_day[1]}, "
                f"history {history[0]} → {history[1]} loaded in {history_run.wall:.2f} s",
            )
        )
        report.details["incremental"] = {
            "history_window": [history[0].isoformat(), history[1].isoformat()],
            "new_day_window": [new_day[0].isoformat(), new_day[1].isoformat()],
            "history_seconds": history_run.wall,
            "empty_seconds": [run.wall for run in empty_runs],
            "loaded_seconds": [run.wall for run in loaded_runs],
            "empty_flow_run_seconds": [run.flow_seconds() for run in empty_runs],
            "loaded_flow_run_seconds": [run.flow_seconds() for run in loaded_runs],
            "rows_after_loaded_run": _row_counts(on_history.warehouse),
        }
        report.tables["Incremental task runs (s, as Prefect records them)"] = _task_comparison(empty, on_history)

    def report_csv(self, report: Report) -> None:
        from bench.csv_staging import measure as measure_csv

        result = measure_csv(self.source, self.work, self.args.csv_events)
        report.add(
            Figure(
                "csv_staging_events_per_second",
                "DuckDB staging, CSV logs (screened in Python)",
                result["csv_events_per_second"],
                "events/s",
                ",.0f",
                note=f"{result['events']:,} events ({result['files']} day files) in {result['csv_seconds']:.2f} s; "
                f"the same events as JSON lines, checked by DuckDB natively: "
                f"{result['json_events_per_second']:,.0f} events/s",
            )
        )
        report.details["csv"] = result

    def report_postgres(self, report: Report) -> None:
        from bench.pg_staging import measure as measure_postgres

        if self.args.pg_url:
            result = measure_postgres(self.args.pg_url, self.source, self.args.sample_events)
        else:
            from bench.services import create_database, postgres_server

            with postgres_server() as server:
                url = create_database(server, "sparkify_bench")
                result = measure_postgres(url, self.source, self.args.sample_events)
        ratio = result["copy_events_per_second"] / result["insert_events_per_second"]
        sample_ratio = result["sample_copy_events_per_second"] / result["insert_events_per_second"]
        report.add(
            Figure(
                "pg_copy_events_per_second",
                "PostgreSQL staging, COPY",
                result["copy_events_per_second"],
                "events/s",
                ",.0f",
                f"≥ {COPY_EVENTS_PER_SECOND:,} events/s",
                judged(result["copy_events_per_second"], COPY_EVENTS_PER_SECOND, ">="),
                f"{result['copy_events']:,} events in {result['copy_seconds']:.2f} s through the project's "
                f"PostgreSQL staging; PostgreSQL {result['server_version']}",
            )
        )
        report.add(
            Figure(
                "pg_insert_events_per_second",
                "PostgreSQL staging, per-row INSERTs (sample)",
                result["insert_events_per_second"],
                "events/s",
                ",.0f",
                note=f"{result['sample_events']:,} events ({result['sample_files']} day files) in "
                f"{result['insert_seconds']:.2f} s; COPY of the same sample: "
                f"{result['sample_copy_events_per_second']:,.0f} events/s",
            )
        )
        report.add(
            Figure(
                "pg_copy_over_insert",
                "COPY / per-row INSERT speed",
                ratio,
                "×",
                ".1f",
                f"≥ {COPY_OVER_INSERT:.0f}×",
                judged(ratio, COPY_OVER_INSERT, ">="),
                f"COPY's rate on every event over the INSERTs' on the sample; on the sample alone: {sample_ratio:.1f}×",
            )
        )
        ceiling = result["ceiling_events_per_second"]
        report.add(
            Figure(
                "pg_copy_ceiling_events_per_second",
                "PostgreSQL COPY ceiling (lines verbatim, unparsed)",
                ceiling,
                "events/s",
                ",.0f",
                note=f"every event file's bytes into a one-column text table in {result['ceiling_seconds']:.2f} s: "
                f"no COPY can beat this here; over the per-row INSERTs it would be "
                f"{ceiling / result['insert_events_per_second']:.1f}×; server settings: "
                + ", ".join(f"{name}={value}" for name, value in result["server_settings"].items()),
            )
        )
        report.details["postgres"] = result


# -- helpers -------------------------------------------------------------------------------------
def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    return None if numerator is None or not denominator else numerator / denominator


def _best(runs: list[ProcessRun], value: Callable[[ProcessRun], float | None]) -> float | None:
    values = [figure for figure in map(value, runs) if figure is not None]
    return min(values) if values else None


def _measurement_details(run: ProcessRun) -> dict[str, Any]:
    result = run.measurement
    details: dict[str, Any] = {
        "command": " ".join(shlex.quote(part) for part in result.command),
        "wall_seconds": result.wall_seconds,
        "tree_peak_rss_bytes": result.tree_peak_rss_bytes,
        "root_peak_rss_bytes": result.root_peak_rss_bytes,
        "ru_maxrss_bytes": result.max_rss_bytes,
        "cpu_seconds": result.cpu_seconds,
    }
    if run.flow_run is not None:
        details["flow_run"] = {"name": run.flow_run.name, "seconds": run.flow_seconds()}
        details["task_runs"] = [
            {
                "name": task_run.name,
                "recorded_seconds": task_run.recorded_seconds,
                "body_seconds": task_run.body_seconds,
                "engine_seconds": task_run.engine_seconds,
                "overhead_seconds": task_run.overhead_seconds,
            }
            for task_run in run.flow_run.task_runs
        ]
    return details


def _floor_output(run: ProcessRun) -> dict[str, Any]:
    import json

    for line in reversed(run.measurement.log.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return {}


def _row_counts(database: Path | None) -> dict[str, int]:
    if database is None:
        return {}
    with duckdb.connect(str(database), read_only=True) as connection:
        return {table: connection.execute(f'SELECT COUNT(*) FROM "{table}"').fetchall()[0][0] for table in TABLES}


def _task_comparison(empty: ProcessRun, loaded: ProcessRun) -> list[dict[str, Any]]:
    def by_task(run: ProcessRun) -> dict[str, float | None]:
        # task run names end in a random suffix ("stage-events-1a2"); the task's name is what compares
        return {
            (
                task_run.name.rsplit("-", 1)[0] if task_run.name[-4:-3] == "-" else task_run.name
            ): task_run.recorded_seconds
            for task_run in (run.flow_run.task_runs if run.flow_run else [])
        }

    empty_tasks, loaded_tasks = by_task(empty), by_task(loaded)
    return [
        {
            "task": task,
            "empty warehouse": _round(empty_tasks.get(task)),
            "history loaded": _round(loaded_tasks.get(task)),
        }
        for task in dict.fromkeys([*empty_tasks, *loaded_tasks])
    ]


def describe_machine() -> dict[str, Any]:
    cpu = "?"
    with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = "?"
    with open("/proc/meminfo", encoding="utf-8") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024**2:.1f} GiB"
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            continue
    commit = subprocess.run(
        ["git", "-C", str(REPO), "describe", "--always", "--dirty"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
        "packages": versions,
        "git": commit or "?",
    }


NOTES = [
    "Every figure but the generator's and PostgreSQL's is the wall time of a child process, from its start to "
    "its exit, measured by the benchmark (time.perf_counter around fork and wait4); with --repeat N each "
    "figure is the best of N runs, and every sample is in latest.json.",
    "The source files were just written, so every run reads them from the page cache, the floor as the pipeline.",
    "Flow processes run with their own PREFECT_HOME and without PREFECT_API_URL: each starts and stops "
    "Prefect's temporary server, as `python -m flows.etl` does. A first, untimed trivial flow creates the "
    "server's database, so no measured run pays its migrations.",
    "Per-task figures join Prefect's records (the temporary server's SQLite database, read after the process "
    "ends) with a probe loaded through PYTHONPATH (bench/hooks/sitecustomize.py) that times each task body and "
    "the task engine around it; see bench/README.md.",
    "Other processes may share the machine: the load averages above say how busy it was.",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2_000_000, help="events to generate (default: %(default)s)")
    parser.add_argument("--days", type=int, default=2_000, help="days, one event file each (default: %(default)s)")
    parser.add_argument("--songs", type=int, default=10_000, help="songs in the catalog (default: %(default)s)")
    parser.add_argument("--users", type=int, default=1_000, help="users producing the events (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=42, help="generator seed (default: %(default)s)")
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs of each timed process; the best counts (default: %(default)s)"
    )
    parser.add_argument(
        "--history-days", type=int, default=30, help="days loaded before the incremental day (default: %(default)s)"
    )
    parser.add_argument(
        "--sample-events", type=int, default=20_000, help="events sent as per-row INSERTs (default: %(default)s)"
    )
    parser.add_argument(
        "--csv-events", type=int, default=200_000, help="events staged from CSV logs (default: %(default)s)"
    )
    parser.add_argument("--skip-postgres", action="store_true", help="leave out PostgreSQL staging")
    parser.add_argument("--skip-incremental", action="store_true", help="leave out the incremental cost")
    parser.add_argument(
        "--pg-url", help="a PostgreSQL database (postgresql+psycopg://…) to use instead of starting a server"
    )
    parser.add_argument("--no-warmup", action="store_true", help="skip the untimed warm-up flow")
    parser.add_argument(
        "--server",
        action="store_true",
        help="flow processes report to one Prefect server started for the benchmark instead of each starting "
        "Prefect's temporary server: quicker, but the figures leave out that server's start (the smoke test's choice)",
    )
    parser.add_argument("--timeout", type=float, default=1800, help="seconds before a process is killed")
    parser.add_argument(
        "--work", type=Path, default=REPO / "bench" / "work", help="scratch folder, emptied first (default: bench/work)"
    )
    parser.add_argument(
        "--out", type=Path, default=REPO / "bench" / "results", help="report folder (default: bench/results)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if not args.skip_incremental and args.days <= args.history_days:
        parser.error(f"--days must exceed --history-days ({args.history_days}) for the incremental cost")
    try:
        with contextlib.ExitStack() as stack:
            bench = Bench(args)
            if args.server:
                bench.use_server(stack.enter_context(prefect_server()))
            report = bench.run()
    except BenchError as error:
        print(f"benchmark failed: {error}", file=sys.stderr)
        return 1
    markdown, data = report.write(args.out)
    print()
    print(report.text())
    print(f"\nreport: {markdown} and {data}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
