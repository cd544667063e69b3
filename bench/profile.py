"""``python -m bench.profile TARGET``: where one benchmarked step spends its time, sampled by py-spy.

For when a target is missed: the profile shows what bounds the figure. Each target is one of the
benchmark's child processes, run under ``py-spy record`` (child processes included) on the source the
last ``python -m bench.run`` generated (``bench/work/source``, or ``--source``):

* ``postgres-copy``: the project's PostgreSQL staging of every event (COPY), on a throw-away server;
* ``postgres-insert``: the classic per-row INSERTs of the sample, on a throw-away server;
* ``trivial-flow``: Prefect's fixed cost;
* ``end-to-end``: ``python -m flows.etl`` on a fresh DuckDB file.

The PostgreSQL targets are sampled on the wall clock (a thread waiting for the server counts); the
flows only where a thread is busy (Prefect keeps many threads idle).

Writes ``<out>/<target>.md``, the frames where most samples fell, and ``bench/work/profiles/<target>.txt``,
the collapsed stacks (megabytes: for flamegraph.pl, speedscope or inferno).
"""

from __future__ import annotations

import argparse
import collections
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGETS = ("postgres-copy", "postgres-insert", "trivial-flow", "end-to-end")
SAMPLES_PER_SECOND = 200
TOP = 25


def record(command: list[str], collapsed: Path, env: dict[str, str], idle: bool) -> None:
    """Samples ``command`` and its children; ``idle`` also samples threads blocked on I/O (a wall-clock view)."""
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    subprocess.run(
        [
            *(py_spy, "record", "--format", "raw", "--rate", str(SAMPLES_PER_SECOND), "--subprocesses"),
            *(["--idle"] if idle else []),
            *("--output", str(collapsed), "--", *command),
        ],
        cwd=REPO,
        env=env,
        check=True,
    )


def summary(collapsed: Path, title: str, idle: bool) -> str:
    """The frames with the most samples: where the time went (inclusive) and who spent it (self)."""
    total, own, inclusive = 0, collections.Counter[str](), collections.Counter[str]()
    for line in collapsed.read_text(encoding="utf-8").splitlines():
        stack, _, count = line.rpartition(" ")
        frames, samples = stack.split(";"), int(count)
        total += samples
        own[frames[-1]] += samples
        for frame in set(frames):
            inclusive[frame] += samples
    lines = [
        f"# Profile: {title}",
        "",
        f"{total} samples at {SAMPLES_PER_SECOND}/s (py-spy; "
        + ("threads waiting on I/O included)." if idle else "idle threads left out)."),
        "",
    ]
    for heading, counter in (("Self (the frame itself)", own), ("Inclusive (the frame and its callees)", inclusive)):
        lines += [f"## {heading}", "", "| share | frame |", "|---:|---|"]
        lines += [f"| {samples / total:.1%} | `{frame}` |" for frame, samples in counter.most_common(TOP)]
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.splitlines()[0])
    parser.add_argument("target", choices=TARGETS)
    parser.add_argument("--source", type=Path, default=REPO / "bench" / "work" / "source")
    parser.add_argument("--sample-events", type=int, default=20_000)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "profiles")
    args = parser.parse_args(argv)
    if not (args.source / "log_data").is_dir():
        parser.error(f"no source in {args.source}: run `python -m bench.run` first, or give --source")
    args.out.mkdir(parents=True, exist_ok=True)
    collapsed = REPO / "bench" / "work" / "profiles" / f"{args.target}.txt"
    collapsed.parent.mkdir(parents=True, exist_ok=True)
    scratch = REPO / "bench" / "work" / "profile"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(scratch / "prefect-home"), PREFECT_SERVER_ANALYTICS_ENABLED="false")

    if args.target.startswith("postgres-"):
        from bench.services import create_database, postgres_server

        with postgres_server() as server:
            url = create_database(server, "sparkify_profile")
            only = "copy" if args.target == "postgres-copy" else "insert"
            command = [sys.executable, "-m", "bench.pg_staging", "--url", url, "--source", str(args.source)]
            record([*command, "--sample-events", str(args.sample_events), "--only", only], collapsed, env, idle=True)
    else:
        # a first, unprofiled flow creates the Prefect database, as the benchmark's warm-up does
        trivial = [sys.executable, str(REPO / "bench" / "trivial_flow.py")]
        subprocess.run(trivial, cwd=REPO, env=env, check=True, capture_output=True)
        if args.target == "trivial-flow":
            record(trivial, collapsed, env, idle=False)
        else:
            warehouse = f"duckdb:///{scratch / 'end-to-end.duckdb'}"
            etl = [sys.executable, "-m", "flows.etl", "--source", str(args.source), "--warehouse", warehouse]
            record(etl, collapsed, env, idle=False)
    report = args.out / f"{args.target}.md"
    report.write_text(summary(collapsed, args.target, args.target.startswith("postgres-")), encoding="utf-8")
    print(f"profile: {collapsed} (collapsed stacks) and {report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
