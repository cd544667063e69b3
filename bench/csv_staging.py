"""CSV event logs: DuckDB staging the same events from CSV logs and from JSON lines.

CSV logs are screened record by record in Python (``sparkify.records``) on every engine, so
that all of them reject the very same records; JSON lines are checked by DuckDB natively.
This measures what the screening costs: the same whole day files, written both ways, staged
into a fresh DuckDB file by the project's own staging.
"""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path
from typing import Any

from bench.csv_logs import csv_log
from bench.pg_staging import sample_keys
from sparkify import schema
from sparkify.sources import LocalSource, event_file_key, open_source
from sparkify.warehouse import Warehouse, connect
from sparkify.window import Window


def _as_csv(json_root: Path, keys: list[str], csv_root: Path) -> list[str]:
    """The day files ``keys`` rewritten as CSV logs under ``csv_root``; returns their keys."""
    csv_keys = []
    for key in keys:
        lines = (json_root / key).read_text(encoding="utf-8").splitlines()
        day = Path(key).name.removesuffix("-events.json")
        csv_key = event_file_key(date.fromisoformat(day), "csv")
        target = csv_root / csv_key
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(csv_log([json.loads(line) for line in lines if line.strip()]), encoding="utf-8")
        csv_keys.append(csv_key)
    return csv_keys


def _stage(warehouse: Warehouse, root: Path, events_format: str, keys: list[str], name: str) -> tuple[int, float]:
    table = schema.staging_events(name)
    warehouse.create_staging(table)
    try:
        started = time.perf_counter()
        staged = warehouse.stage_events(table, open_source(str(root), events_format=events_format), keys)
        return staged, time.perf_counter() - started
    finally:
        warehouse.drop_staging(table)


def measure(root: Path, work: Path, events: int) -> dict[str, Any]:
    """Events per second staging the first day files holding ``events`` events, as CSV and as JSON lines."""
    keys, count = sample_keys(LocalSource(root), LocalSource(root).event_keys(Window.everything()), events)
    csv_keys = _as_csv(root, keys, work / "csv-source")
    warehouse = connect(f"duckdb:///{work / 'csv-staging.duckdb'}")
    try:
        json_staged, json_seconds = _stage(warehouse, root, "json", keys, "bench_json_lines")
        csv_staged, csv_seconds = _stage(warehouse, work / "csv-source", "csv", csv_keys, "bench_csv_logs")
    finally:
        warehouse.engine.dispose()
    if not json_staged == csv_staged == count:
        raise RuntimeError(f"staged {csv_staged} events from CSV and {json_staged} from JSON, not {count}")
    return {
        "events": count,
        "files": len(keys),
        "csv_seconds": csv_seconds,
        "csv_events_per_second": count / csv_seconds,
        "json_seconds": json_seconds,
        "json_events_per_second": count / json_seconds,
    }
