"""Issue 19's benchmark: an hourly run costs what the hour holds, whatever the history behind it.

``python -m bench.history`` writes ``bench/results/history.md`` and ``.json``. For each history size it loads a
generated history (every event, one full load) into PostgreSQL and into DuckDB, then runs the same hour on each:

* PostgreSQL: the rows the hourly run reads, table by table (``pg_stat_user_tables.seq_tup_read`` +
  ``pg_stat_user_indexes.idx_tup_read``, after ``pg_stat_reset()``), and the sequential scans it starts;
* DuckDB: the hourly run's wall time, the median of three runs, each on a copy of the loaded file: the load
  sequence in this process, and the whole ``python -m flows.etl`` process reporting to a Prefect server started
  for the benchmark (the issue's figure);
* the full load itself, on both engines: PostgreSQL's time against DuckDB's (goal within 3x).

The hour is the same in every history: its day file is generated after the history, from the same seed and
catalog, so its events are byte for byte the same. The loads and PostgreSQL's hour are the load sequence in this
process (no Prefect server): what is measured is the warehouse's work, which Prefect's own overhead would blur.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, datetime
from functools import partial
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from bench.services import PrefectServer, create_database, postgres_server, prefect_server
from sparkify import pipeline
from sparkify.config import RunConfig
from sparkify.pipeline import DirectRunner
from sparkify.run import LoadRun
from sparkify.sample import GeneratorConfig, generate
from sparkify.warehouse import connect

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
SONGS = 2_000
#: The measured hour's day: after every history generated here (2,000 days from 2018-11-01 end in 2024).
HOUR_DAY = date(2025, 1, 15)
HOUR = (datetime(2025, 1, 15, 12), datetime(2025, 1, 15, 13))
HOUR_EVENTS = 2_400
FULL_LOAD_RATIO_GOAL = 3.0
ROWS_READ = """
WITH index_reads AS (
    SELECT relid, SUM(idx_tup_read) AS idx_tup_read
    FROM pg_stat_user_indexes
    GROUP BY relid
)
SELECT tables.relname, tables.seq_tup_read + COALESCE(index_reads.idx_tup_read, 0) AS rows_read, tables.seq_scan
FROM pg_stat_user_tables AS tables
LEFT JOIN index_reads ON index_reads.relid = tables.relid
WHERE tables.seq_tup_read + COALESCE(index_reads.idx_tup_read, 0) > 0
ORDER BY rows_read DESC
"""


@dataclass
class HistoryFigures:
    """One history size's measurements."""

    history_events: int
    history_plays: int
    hour_plays: int
    pg_rows_read: int
    pg_rows_read_by_table: dict[str, int]
    pg_seq_scans_by_table: dict[str, int]
    duckdb_hour_seconds: float
    duckdb_hour_runs: list[float]
    duckdb_hour_process_seconds: float
    duckdb_hour_process_runs: list[float]
    pg_full_load_seconds: float
    duckdb_full_load_seconds: float


def run_once(source: Path, url: str, window: tuple[datetime, datetime] | None = None) -> float:
    """One run of the load sequence, in this process: its wall time."""
    config = RunConfig.resolve(
        source=str(source),
        warehouse=url,
        window_start=window[0] if window else None,
        window_end=window[1] if window else None,
    )
    warehouse = connect(url)
    began = time.perf_counter()
    try:
        pipeline.load(DirectRunner(), config, LoadRun.new(config.window), warehouse)
    finally:
        warehouse.engine.dispose()
    return time.perf_counter() - began


def process_once(source: Path, warehouse_file: Path, server: PrefectServer) -> float:
    """The hour as a whole ``python -m flows.etl`` process reporting to ``server``: its wall time."""
    bounds = ["--window-start", HOUR[0].isoformat(), "--window-end", HOUR[1].isoformat()]
    command = [sys.executable, "-m", "flows.etl", "--source", str(source), "--warehouse", f"duckdb:///{warehouse_file}"]
    env = {**{key: value for key, value in os.environ.items() if not key.startswith("PREFECT_")}, **server.env}
    began = time.perf_counter()
    subprocess.run([*command, *bounds], cwd=REPO, env=env, check=True, capture_output=True)
    return time.perf_counter() - began


def scalar(url: str, query: str) -> int:
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return int(conn.exec_driver_sql(query).scalar_one())
    finally:
        engine.dispose()


def pg_reads(url: str) -> tuple[dict[str, int], dict[str, int]]:
    """Rows read and sequential scans per table since the last reset (the run's backends have exited: flushed)."""
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            time.sleep(1.5)  # a backend's statistics reach the shared counters at most once a second
            fetched = conn.exec_driver_sql(ROWS_READ).all()
    finally:
        engine.dispose()
    return {name: int(read) for name, read, _ in fetched}, {name: int(scans) for name, _, scans in fetched if scans}


def reset_pg_stats(url: str) -> None:
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT pg_stat_reset()")
    finally:
        engine.dispose()


def measure_history(
    events: int, days: int, work: Path, database_url: Callable[[str], str], server: PrefectServer
) -> HistoryFigures:
    """Load a history of ``events`` over ``days`` into both engines, then the same hour on each."""
    source = work / f"history-{events}"
    generate(source, GeneratorConfig(events=events, songs=SONGS, days=days, seed=42))
    pg_url = database_url(f"history_{events}")
    duck_file = work / f"history-{events}.duckdb"
    pg_full = run_once(source, pg_url)
    duck_full = run_once(source, f"duckdb:///{duck_file}")
    history_plays = scalar(pg_url, "SELECT COUNT(*) FROM songplays")

    generate(source, GeneratorConfig(events=HOUR_EVENTS, songs=SONGS, days=1, start=HOUR_DAY, seed=42))
    reset_pg_stats(pg_url)
    run_once(source, pg_url, HOUR)
    read, scans = pg_reads(pg_url)
    hour_plays = scalar(
        pg_url, f"SELECT COUNT(*) FROM songplays WHERE start_time >= '{HOUR[0]}' AND start_time < '{HOUR[1]}'"
    )

    duck_runs, process_runs = [], []
    for attempt in range(3):
        copy = work / f"hour-{events}-{attempt}.duckdb"
        shutil.copy(duck_file, copy)
        duck_runs.append(run_once(source, f"duckdb:///{copy}", HOUR))
        shutil.copy(duck_file, copy)
        process_runs.append(process_once(source, copy, server))
        copy.unlink()
    shutil.rmtree(source)
    duck_file.unlink()
    return HistoryFigures(
        history_events=events,
        history_plays=history_plays,
        hour_plays=hour_plays,
        pg_rows_read=sum(read.values()),
        pg_rows_read_by_table=read,
        pg_seq_scans_by_table=scans,
        duckdb_hour_seconds=statistics.median(duck_runs),
        duckdb_hour_runs=duck_runs,
        duckdb_hour_process_seconds=statistics.median(process_runs),
        duckdb_hour_process_runs=process_runs,
        pg_full_load_seconds=pg_full,
        duckdb_full_load_seconds=duck_full,
    )


def markdown(figures: list[HistoryFigures], command: str) -> str:
    small, large = figures[0], figures[-1]
    lines = [
        "# Hourly cost against the history (issue 19)",
        "",
        f"Run {datetime.now():%Y-%m-%d %H:%M} with `{command}`: the same hour ({HOUR[0]:%Y-%m-%d %H:%M}–"
        f"{HOUR[1]:%H:%M}, {large.hour_plays} plays) after each history.",
        "",
        "| history (events / plays) | PostgreSQL: rows the hour reads | DuckDB: the hour in this process (median of 3) "
        "| DuckDB: the hour's whole process (median of 3) | full load: PostgreSQL / DuckDB |",
        "|---|---:|---:|---:|---:|",
    ]
    for figure in figures:
        ratio = figure.pg_full_load_seconds / figure.duckdb_full_load_seconds
        lines.append(
            f"| {figure.history_events:,} / {figure.history_plays:,} | {figure.pg_rows_read:,} "
            f"| {figure.duckdb_hour_seconds:.2f} s | {figure.duckdb_hour_process_seconds:.2f} s "
            f"| {figure.pg_full_load_seconds:.1f} s / "
            f"{figure.duckdb_full_load_seconds:.1f} s = {ratio:.2f}x |"
        )
    growth = large.history_events / small.history_events
    lines += [
        "",
        f"History {growth:,.0f}x larger: rows read {large.pg_rows_read / small.pg_rows_read:.2f}x (goal <= 1.2), "
        f"DuckDB's hour {large.duckdb_hour_seconds / small.duckdb_hour_seconds:.2f}x in this process, "
        f"{large.duckdb_hour_process_seconds / small.duckdb_hour_process_seconds:.2f}x as a whole process "
        f"(goal <= 1.15). Full load goal: PostgreSQL within {FULL_LOAD_RATIO_GOAL:.0f}x of DuckDB.",
        "",
        "Rows read by the hour, table by table (sequential scans in brackets), largest history:",
        "",
        *(
            f"- `{table}`: {read:,}"
            + (f" ({large.pg_seq_scans_by_table[table]} seq scans)" if table in large.pg_seq_scans_by_table else "")
            for table, read in large.pg_rows_read_by_table.items()
        ),
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.history", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--history", type=int, nargs="+", default=[8_000, 200_000, 2_000_000], help="history sizes, in events"
    )
    parser.add_argument("--days", type=int, default=2_000, help="days the largest history spans")
    parser.add_argument("--out", type=Path, default=RESULTS / "history", help="report path, without suffix")
    args = parser.parse_args(argv)
    sizes = sorted(args.history)
    figures = []
    with (
        postgres_server() as server,
        prefect_server() as prefect,
        tempfile.TemporaryDirectory(prefix="sparkify-history-") as work,
    ):
        for events in sizes:
            days = max(30, round(args.days * events / sizes[-1]))
            figures.append(measure_history(events, days, Path(work), partial(create_database, server), prefect))
            print(json.dumps(asdict(figures[-1])), file=sys.stderr)
    command = "python -m bench.history" + (f" --history {' '.join(map(str, sizes))}" if argv else "")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps([asdict(figure) for figure in figures], indent=2) + "\n")
    args.out.with_suffix(".md").write_text(markdown(figures, command))
    print(args.out.with_suffix(".md").read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
