"""Event logs in the CSV layout of ``sparkify/sources.py``, written from the same records as the JSON ones.

Python's csv module writes None and "" alike, so fields are formatted here: a
null is an empty unquoted field, every string is quoted (quotes doubled), a
number is written as Python (and JSON) would, so every engine reads back the
very same double.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from sparkify.sources import EVENT_COLUMNS


def csv_field(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return '"' + value.replace('"', '""') + '"'
    return repr(value)


def csv_row(record: dict[str, Any]) -> str:
    """One record's row, missing keys as nulls."""
    return ",".join(csv_field(record.get(column)) for column in EVENT_COLUMNS)


def csv_log(records: list[dict[str, Any]], newline: str = "\n") -> str:
    """A day's CSV log: the header row, then one row per record."""
    return newline.join([",".join(EVENT_COLUMNS), *map(csv_row, records)]) + newline


def to_csv_source(json_root: Path, csv_root: Path, newline: str = "\n") -> Path:
    """A copy of a JSON source whose event logs are CSV files of the same records; song files are kept."""
    shutil.copytree(json_root / "song_data", csv_root / "song_data")
    for log in sorted((json_root / "log_data").rglob("*-events.json")):
        lines = log.read_text(encoding="utf-8").split("\n")
        records = [json.loads(line) for line in lines if line.strip()]
        target = csv_root / log.relative_to(json_root).with_suffix(".csv")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(csv_log(records, newline), encoding="utf-8", newline="")
    return csv_root
