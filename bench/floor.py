"""The floor: DuckDB alone builds the star schema from the source files, in one process, no orchestration.

A reference for the benchmark, not pipeline code. It runs the statements of ``bench/sql/floor/`` on a
fresh DuckDB file, in the order of their step numbers (the file names' prefix): it reads the event
logs (``read_json``) and the song catalog (``read_text`` and ``json_transform``, much cheaper than
``read_json`` over thousands of small files) into memory, the two side by side (files of one step
run on their own cursors, in threads, as the pipeline's two staging tasks do), then fills the five
tables with the rules of ``sql/load`` (one fact per distinct NextSong event matched on title, artist
and duration to the lowest song_id; each user as of their latest event; one row per song, artist and
play timestamp). It leaves out what only a pipeline needs: windows, re-runs, per-run staging tables
on disk, quality checks. Prints its timings as JSON.

    python bench/floor.py --source DIR --database FILE.duckdb
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb

SQL_DIR = Path(__file__).resolve().parent / "sql" / "floor"
TABLES = ("songplays", "users", "songs", "artists", "time")
_PARAMETER = re.compile(r"\$([a-z_]+)")


def steps() -> dict[str, list[Path]]:
    """The statement files by step number, in order."""
    grouped: dict[str, list[Path]] = {}
    for path in sorted(SQL_DIR.glob("*.sql")):
        grouped.setdefault(path.name.split("_", 1)[0], []).append(path)
    return grouped


def _execute(connection: duckdb.DuckDBPyConnection, path: Path, parameters: dict[str, str]) -> float:
    text = path.read_text(encoding="utf-8")
    used = {name: parameters[name] for name in _PARAMETER.findall(text)}
    started = time.perf_counter()
    connection.execute(text, used) if used else connection.execute(text)
    return time.perf_counter() - started


def build(source: Path, database: Path) -> dict[str, object]:
    """Runs the floor's statements; returns seconds per statement file and the tables' row counts."""
    parameters = {
        "events": str(source / "log_data" / "**" / "*.json"),
        "songs": str(source / "song_data" / "**" / "*.json"),
    }
    started = time.perf_counter()
    timings: dict[str, float] = {}
    with duckdb.connect(str(database)) as connection:
        for paths in steps().values():
            if len(paths) == 1:
                timings[paths[0].stem] = _execute(connection, paths[0], parameters)
                continue
            cursors = [connection.cursor() for _ in paths]
            with ThreadPoolExecutor(len(paths)) as pool:
                seconds = pool.map(_execute, cursors, paths, [parameters] * len(paths))
                timings.update(zip((path.stem for path in paths), seconds, strict=True))
            for cursor in cursors:
                cursor.close()
        rows = {table: connection.execute(f'SELECT COUNT(*) FROM "{table}"').fetchall()[0][0] for table in TABLES}
    return {"seconds": time.perf_counter() - started, "steps": timings, "rows": rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/floor.py", description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, required=True, help="folder with song_data/ and log_data/")
    parser.add_argument("--database", type=Path, required=True, help="DuckDB file to create (must not exist)")
    args = parser.parse_args(argv)
    if args.database.exists():
        parser.error(f"{args.database} exists: the floor builds a fresh database")
    print(json.dumps(build(args.source, args.database)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
