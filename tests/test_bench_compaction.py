"""Smoke test of issue 18's benchmark (``bench/compaction.py``): it runs at a tiny size and reports its figures.

No timing is asserted: only that every figure is there and the counts are the compaction's.
"""

from __future__ import annotations

import json
from pathlib import Path

from bench.compaction import main as compaction


def test_the_compaction_benchmark_runs_at_a_tiny_size_and_reports_its_figures(tmp_path: Path) -> None:
    out = tmp_path / "results" / "compaction"
    assert compaction(["--sizes", "200", "--slices", "4", "--work", str(tmp_path / "work"), "--out", str(out)]) == 0

    (run,) = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))["runs"]
    # every generated song file read once, none rejected, into a multiple of the 4 slices
    assert (run["objects"], run["records"], run["rejected"]) == (200, 200, 0)
    assert (run["copy_objects_before"], run["copy_objects_after"], run["parts"]) == (200, 4, 4)
    assert 0 < run["part_gzip_bytes"] < run["source_bytes"]
    assert run["total_seconds"] == run["list_seconds"] + run["compact_seconds"] > 0
    assert "| **200 → 4** |" in out.with_suffix(".md").read_text(encoding="utf-8")
