"""Smoke test of the benchmark (bench/): it runs at a tiny size and reports every figure.

No timing is asserted: on a tiny source the figures mean nothing, and on a shared machine they vary.
What is checked is that every measurement ran and landed in both reports. Its flow processes report to one
Prefect server (``--server``): a temporary server for each would cost some 9 s of CPU a process.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.run import main

FIGURES = (
    "generator_events_per_second",
    "end_to_end_seconds",
    "end_to_end_events_per_second",
    "floor_seconds",
    "prefect_fixed_cost_seconds",
    "end_to_end_ratio",
    "end_to_end_cpu_ratio",
    "peak_rss_bytes",
    "floor_matches_pipeline",
    "prefect_share",
    "task_overhead_ms",
    "incremental_empty_seconds",
    "incremental_loaded_seconds",
    "incremental_ratio",
    "csv_staging_events_per_second",
    "pg_copy_events_per_second",
    "pg_insert_events_per_second",
    "pg_copy_over_insert",
    "pg_copy_ceiling_events_per_second",
)
JUDGED = (
    "generator_events_per_second",
    "end_to_end_ratio",
    "peak_rss_bytes",
    "floor_matches_pipeline",
    "task_overhead_ms",
    "incremental_ratio",
    "pg_copy_events_per_second",
    "pg_copy_over_insert",
)


def test_benchmark_reports_every_figure(tmp_path: Path, pg_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "results"
    code = main(
        [
            "--events", "3000", "--days", "8", "--songs", "100", "--users", "20",
            "--history-days", "5", "--sample-events", "500", "--csv-events", "500", "--no-warmup", "--server",
            "--pg-url", pg_url, "--work", str(tmp_path / "work"), "--out", str(out),
        ]
    )  # fmt: skip

    assert code == 0, capsys.readouterr().err
    report = json.loads((out / "latest.json").read_text(encoding="utf-8"))
    figures = report["figures"]
    assert set(FIGURES) <= set(figures)
    for key in FIGURES:
        assert isinstance(figures[key]["value"], int | float), f"{key} has no value"
    for key in JUDGED:
        assert figures[key]["status"] in ("PASS", "FAIL"), f"{key} was not judged"
    # the floor is a floor of the same work: it built the same tables as the pipeline
    assert figures["floor_matches_pipeline"]["status"] == "PASS"
    # per-task figures come from Prefect's records joined with the probe: every task run has both
    task_runs = report["details"]["end_to_end"]["task_runs"]
    assert len(task_runs) >= 4
    assert all(run["body_seconds"] is not None and run["recorded_seconds"] is not None for run in task_runs)
    for machine_fact in ("cpu", "cores", "memory", "python", "packages", "date"):
        assert report["machine"][machine_fact]

    markdown = (out / "latest.md").read_text(encoding="utf-8")
    printed = capsys.readouterr().out
    for figure in figures.values():
        assert figure["label"] in markdown
        assert figure["label"] in printed
