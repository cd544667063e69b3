"""Issue 11's benchmark: the hourly run's cost follows the new data, not the catalog.

``python -m bench.incremental`` measures two figures and writes ``bench/results/incremental.md``
and ``.json``:

* one hourly window on DuckDB with the catalog already loaded, 100,000 songs against 100 (the same
  event files), each the whole ``python -m flows.etl`` process, alternating, the median of each:
  their ratio (goal ≤ 1.15); and, for comparison, the same hour with ``--full-refresh`` (the whole
  catalog read and recorded again; before the ledger every hourly run read it whole);
* from moto's S3 server: the song objects the hourly run downloads once the catalog is loaded (goal 0).

Beside each process's wall time, the flow's own work is read from its log (its first line to its last
task's end): Prefect ends a flow run on a whole second after its start, which the wall time includes.

The flow processes report to one Prefect server started for the benchmark, so that the temporary
server a bare ``python -m flows.etl`` starts (10 to 20 s here, varying by seconds) does not drown
the difference being measured (or to a running one, ``--prefect-api-url``: what the smoke test does).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import shutil
import statistics
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import measure
from bench.services import downloads, moto_s3_server, prefect_server, s3_env, upload_tree
from sparkify.sample import GeneratorConfig, generate

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
#: The hour every timed run loads: in the middle of the generated days, its day file and lookback unchanged.
HOUR = ("2018-11-05T12:00", "2018-11-05T13:00")
RATIO_GOAL = 1.15


def flow_work_seconds(log: str) -> float:
    """From the flow run's first log line to its last task's end: its work, without the wait for the heartbeat."""
    lines = log.splitlines()
    begun = next(line for line in lines if "Beginning flow run" in line)
    ended = [line for line in lines if "| Task run " in line and "Finished in state" in line][-1]
    return (_log_time(ended) - _log_time(begun)).total_seconds() % 86_400


def _log_time(line: str) -> datetime:
    """A log line's time of day, as Prefect's console handler begins it (``20:00:06.065 | INFO | …``)."""
    return datetime.strptime(line[:12], "%H:%M:%S.%f")


@dataclass
class Setup:
    work: Path
    api_url: str

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_")}
        env.update(PREFECT_API_URL=self.api_url, PREFECT_SERVER_ANALYTICS_ENABLED="false", **(extra or {}))
        return env

    def etl(
        self, label: str, source: str, warehouse: Path, *options: str, env: dict[str, str] | None = None
    ) -> measure.Measurement:
        """One whole ``python -m flows.etl`` process, measured."""
        command = [sys.executable, "-m", "flows.etl", "--source", source, "--warehouse", f"duckdb:///{warehouse}"]
        result = measure.run(
            [*command, *options], cwd=REPO, env=self.env(env), log_file=self.work / "logs" / f"{label}.log"
        )
        if not result.ok:
            raise RuntimeError(f"{label} failed ({self.work / 'logs' / f'{label}.log'}):\n{result.log[-2000:]}")
        print(f"  {label}: {result.wall_seconds:.2f} s (flow work {flow_work_seconds(result.log):.2f} s)", flush=True)
        return result


def make_sources(work: Path, songs: int, small_songs: int, events: int, days: int) -> tuple[Path, Path]:
    """The large catalog's source, and a small one with the very same event files and its first song files."""
    large = generate(work / "large", GeneratorConfig(events=events, songs=songs, users=100, days=days)).root
    small = work / "small"
    shutil.copytree(large / "log_data", small / "log_data")
    for path in sorted((large / "song_data").rglob("*.json"))[:small_songs]:
        target = small / path.relative_to(large)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    return large, small


def hourly_ratio(setup: Setup, large: Path, small: Path, repeat: int) -> dict[str, Any]:
    warehouses = {name: setup.work / f"{name}.duckdb" for name in ("large", "small")}
    sources = {"large": large, "small": small}
    for name, source in sources.items():
        setup.etl(f"{name}-first-load", str(source), warehouses[name])  # the catalog and every event loaded
    hour = ["--window-start", HOUR[0], "--window-end", HOUR[1]]
    times: dict[str, list[float]] = {"large": [], "small": []}
    work: dict[str, list[float]] = {"large": [], "small": []}
    for index in range(repeat):
        order = ("large", "small") if index % 2 == 0 else ("small", "large")
        for name in order:
            result = setup.etl(f"{name}-hour-{index}", str(sources[name]), warehouses[name], *hour)
            times[name].append(result.wall_seconds)
            work[name].append(flow_work_seconds(result.log))
    refresh = {
        name: setup.etl(
            f"{name}-hour-full-refresh", str(sources[name]), warehouses[name], *hour, "--full-refresh"
        ).wall_seconds
        for name in ("large", "small")
    }
    medians = {name: statistics.median(values) for name, values in times.items()}
    work_medians = {name: statistics.median(values) for name, values in work.items()}
    return {
        "seconds": times,
        "median_seconds": medians,
        "ratio": medians["large"] / medians["small"],
        "flow_work_seconds": work,
        "median_flow_work_seconds": work_medians,
        "full_refresh_seconds": refresh,
        "full_refresh_ratio": refresh["large"] / refresh["small"],
    }


def s3_downloads(setup: Setup, source: Path) -> dict[str, Any]:
    """Song objects served by moto (in this process) to the first hourly run and to the next one."""
    with moto_s3_server() as server:
        upload_tree(server, "sparkify-bench", "feeds", source)
        uri, warehouse = "s3://sparkify-bench/feeds", setup.work / "s3.duckdb"
        counts = {}
        for label, window in (("first", HOUR), ("next", ("2018-11-05T13:00", "2018-11-05T14:00"))):
            with downloads() as served:
                setup.etl(
                    f"s3-{label}-hour",
                    uri,
                    warehouse,
                    "--window-start",
                    window[0],
                    "--window-end",
                    window[1],
                    env=s3_env(server),
                )
            counts[label] = sum("/song_data/" in key for key in served)
    return {"song_objects": len(list((source / "song_data").rglob("*.json"))), "downloaded": counts}


def report(figures: dict[str, Any]) -> str:
    hourly, s3 = figures["hourly"], figures["s3"]
    verdict = "PASS" if hourly["ratio"] <= RATIO_GOAL else "FAIL"
    downloads_verdict = "PASS" if s3["downloaded"]["next"] == 0 else "FAIL"
    large, small = figures["parameters"]["songs"], figures["parameters"]["small_songs"]
    median, refresh, served = hourly["median_seconds"], hourly["full_refresh_seconds"], s3["downloaded"]
    work = hourly["median_flow_work_seconds"]
    repeat = len(hourly["seconds"]["large"])
    runs = ", ".join(f"{value:.2f}" for value in hourly["seconds"]["large"])
    small_runs = ", ".join(f"{value:.2f}" for value in hourly["seconds"]["small"])
    return "\n".join(
        [
            "# Incremental ingestion benchmark (issue 11)",
            "",
            f"Run {figures['when']} with `python -m bench.incremental` "
            f"({figures['parameters']['events']:,} events in {figures['parameters']['days']} day files).",
            "",
            "| figure | value | goal |",
            "|---|---:|---|",
            f"| hourly run, catalog loaded: {large:,} songs / {small:,} songs (median of {repeat} alternating runs) "
            f"| {median['large']:.2f} s / {median['small']:.2f} s = **{hourly['ratio']:.3f}** "
            f"| ≤ {RATIO_GOAL} — {verdict} |",
            f"| the same hour with `--full-refresh` (the whole catalog read and recorded again) | "
            f"{refresh['large']:.2f} s / {refresh['small']:.2f} s "
            f"= {hourly['full_refresh_ratio']:.3f} | |",
            f"| the flow's own work in those runs, from its first log line to its last task's end (medians) "
            f"| {work['large']:.2f} s / {work['small']:.2f} s (+{work['large'] - work['small']:.2f} s) | |",
            f"| song objects downloaded from S3 (moto) by the hourly run, {s3['song_objects']:,} in the catalog: "
            f"first run / next run | {served['first']:,} / **{served['next']}** | 0 — {downloads_verdict} |",
            "",
            f"Each run is the whole `python -m flows.etl` process, reporting to one Prefect server started for the "
            f"benchmark. Runs, {large:,} songs: {runs} s; {small:,} songs: {small_runs} s. "
            "Prefect ends a flow run on a whole second after its start (its heartbeat thread sleeps in 1-second "
            "steps and is joined): a wall time holds the flow's work rounded up to whole seconds.",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.incremental", description=__doc__.split("\n\n")[0])
    parser.add_argument("--songs", type=int, default=100_000, help="the large catalog (default: %(default)s)")
    parser.add_argument("--small-songs", type=int, default=100, help="the small catalog (default: %(default)s)")
    parser.add_argument(
        "--s3-songs", type=int, default=2_000, help="the catalog uploaded to moto (default: %(default)s)"
    )
    parser.add_argument("--events", type=int, default=50_000, help="events in all (default: %(default)s)")
    parser.add_argument("--days", type=int, default=10, help="day files (default: %(default)s)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each size (default: %(default)s)")
    parser.add_argument("--work", type=Path, default=REPO / "bench" / "work" / "incremental")
    parser.add_argument("--out", type=Path, default=RESULTS / "incremental")
    parser.add_argument("--prefect-api-url", help="a running Prefect server's API to report to instead of starting one")
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs every request

    shutil.rmtree(args.work, ignore_errors=True)
    (args.work / "logs").mkdir(parents=True)
    print(f"generating {args.songs:,} songs and {args.events:,} events under {args.work}", flush=True)
    large, small = make_sources(args.work / "sources", args.songs, args.small_songs, args.events, args.days)
    s3_source = args.work / "sources" / "s3"
    shutil.copytree(small / "log_data", s3_source / "log_data")
    for path in sorted((large / "song_data").rglob("*.json"))[: args.s3_songs]:
        (s3_source / path.relative_to(large)).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, s3_source / path.relative_to(large))

    with contextlib.ExitStack() as stack:
        api_url = args.prefect_api_url or stack.enter_context(prefect_server()).api_url
        setup = Setup(args.work, api_url)
        figures = {
            "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "parameters": {
                key: value for key, value in vars(args).items() if key not in ("work", "out", "prefect_api_url")
            },
            "hourly": hourly_ratio(setup, large, small, args.repeat),
            "s3": s3_downloads(setup, s3_source),
        }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    text = report(figures)
    args.out.with_suffix(".md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
