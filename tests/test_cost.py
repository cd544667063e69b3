"""An hourly run reads what its hour holds, not the history (issue 19), counted in rows on a real PostgreSQL.

The hour's own checks look rows up by key and by time; the whole-table checks belong to the audit. Counted with
PostgreSQL's statistics (``bench.history``'s reading of them): rows read and sequential scans, table by table.
The figures at 8,000 to 2 million events are in ``bench/results/history.md``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.history import HOUR, HOUR_DAY, HOUR_EVENTS, SONGS, pg_reads, reset_pg_stats, run_once
from sparkify.sample import GeneratorConfig, generate
from tests.support.helpers import rows

pytestmark = pytest.mark.slow

#: Large enough that PostgreSQL's planner looks keys up rather than scanning: below some 20,000 rows it reads a
#: table whole, which is then cheaper than its index (the catalog's and the users' tables stay that small here).
HISTORY_EVENTS = 60_000
#: Tables whose size follows the history: an hour may look rows up in them, never scan them.
HISTORY_TABLES = ("songplays", "time", "check_results", "rejected_records")


def test_an_hourly_run_on_postgresql_scans_no_table_that_grows_with_the_history(pg_url: str, tmp_path: Path) -> None:
    source = tmp_path / "source"
    generate(source, GeneratorConfig(events=HISTORY_EVENTS, songs=SONGS, days=60, seed=42))
    run_once(source, pg_url)
    [(history_plays,)] = rows(pg_url, "SELECT COUNT(*) FROM songplays")
    generate(source, GeneratorConfig(events=HOUR_EVENTS, songs=SONGS, days=1, start=HOUR_DAY, seed=42))

    reset_pg_stats(pg_url)
    run_once(source, pg_url, HOUR)
    read, scans = pg_reads(pg_url)

    [(hour_plays,)] = rows(
        pg_url, "SELECT COUNT(*) FROM songplays WHERE start_time >= :start AND start_time < :end", start=HOUR[0],
        end=HOUR[1],
    )  # fmt: skip
    assert hour_plays > 0
    assert not {table: scans[table] for table in HISTORY_TABLES if table in scans}
    assert read.get("songplays", 0) < history_plays / 20, read
    assert sum(read.values()) < history_plays / 5, read
