"""Smoke test of issue 11's benchmark (``bench/incremental.py``): it runs at a tiny size and reports its figures.

A file of its own, so that the test suite's workers can run it beside the main benchmark's smoke test.
No timing is asserted; it reports to the session's Prefect server instead of starting one.
"""

from __future__ import annotations

import json
from pathlib import Path

from bench.incremental import main as incremental
from bench.services import PrefectServer


def test_the_incremental_benchmark_runs_at_a_tiny_size_and_reports_its_figures(
    tmp_path: Path, prefect_api: PrefectServer
) -> None:
    out = tmp_path / "results" / "incremental"
    argv = ["--songs", "300", "--small-songs", "10", "--s3-songs", "20", "--events", "20000", "--repeat", "1"]
    argv += ["--prefect-api-url", prefect_api.api_url]
    assert incremental([*argv, "--work", str(tmp_path / "work"), "--out", str(out)]) == 0

    figures = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    hourly = figures["hourly"]
    assert hourly["ratio"] > 0 and hourly["full_refresh_ratio"] > 0
    # the flow's work, read from each run's log, is part of that run's whole process
    for size in ("large", "small"):
        runs = zip(hourly["flow_work_seconds"][size], hourly["seconds"][size], strict=True)
        assert all(0 < work < wall for work, wall in runs)
    # the first hourly run downloads the whole catalog from S3, the next one nothing
    assert figures["s3"]["downloaded"] == {"first": 20, "next": 0}
    assert "song objects downloaded from S3" in out.with_suffix(".md").read_text(encoding="utf-8")
