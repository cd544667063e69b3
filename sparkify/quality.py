"""Data-quality checks, declared as data in the manner of dbt's generic tests.

``CHECKS`` is the list a reader scans to know what a green run guarantees. Each
check names a test (a SQL file under ``sql/checks/`` that returns one number)
and the table and column it applies to; table and column names are verified
against the schema when this module loads, so a typo cannot make a check test
nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sparkify import schema
from sparkify.warehouse import Warehouse


@dataclass(frozen=True)
class Test:
    """A generic test: the SQL file that measures it and the range that passes."""

    sql: str
    minimum: int = 0
    maximum: int | None = 0
    unit: str = "rows"
    hint: str = ""

    def expectation(self) -> str:
        if self.maximum is None:
            return f"at least {self.minimum}"
        return str(self.maximum) if self.minimum == self.maximum else f"{self.minimum}..{self.maximum}"

    def passes(self, observed: int) -> bool:
        return observed >= self.minimum and (self.maximum is None or observed <= self.maximum)


TESTS: dict[str, Test] = {
    "not_empty": Test("checks/row_count", minimum=1, maximum=None, unit="rows"),
    "not_null": Test("checks/not_null", unit="NULL values"),
    "unique": Test("checks/unique", unit="duplicated values"),
    "relationships": Test("checks/relationships", unit="rows without a parent"),
    "accepted_values": Test("checks/accepted_values", unit="rows outside the accepted values"),
    "matches_staged_plays": Test(
        "checks/matches_staged_plays",
        unit="facts more or fewer than the run's NextSong events",
    ),
}


@dataclass(frozen=True)
class Check:
    """One test applied to one table (and column)."""

    test: str
    table: str
    column: str | None = None
    parent: str | None = None  # "table.column" a relationships check points to
    accepted_values: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.test not in TESTS:
            raise ValueError(f"unknown test {self.test!r} in {self}")
        _require_column(self.table, self.column)
        if self.parent is not None:
            _require_column(*self.parent.split(".", 1))
            # the run checks the facts of its own window: the child is a fact table, timed by start_time
            _require_column(self.table, "start_time")

    @property
    def name(self) -> str:
        target = self.table if self.column is None else f"{self.table}.{self.column}"
        if self.parent:
            target += f" -> {self.parent}"
        if self.accepted_values:
            target += f" in {{{', '.join(self.accepted_values)}}}"
        return f"{self.test}({target})"

    def identifiers(self, run_tables: Mapping[str, str]) -> dict[str, str]:
        names = {"table": self.table, **run_tables}
        if self.column:
            names["column"] = self.column
        if self.parent:
            names["parent_table"], names["parent_column"] = self.parent.split(".", 1)
        return names


def _require_column(table: str, column: str | None) -> None:
    if table not in schema.metadata.tables:
        raise ValueError(f"quality check names table {table!r}, which the star schema does not have")
    if column is not None and column not in schema.metadata.tables[table].c:
        raise ValueError(f"quality check names column {table}.{column}, which does not exist")


LEVELS = ("free", "paid")

#: What a green run guarantees.
CHECKS: tuple[Check, ...] = (
    # songplays: exactly one fact per NextSong event, every reference resolvable
    Check("not_empty", "songplays"),
    Check("not_null", "songplays", "songplay_id"),
    Check("unique", "songplays", "songplay_id"),
    Check("not_null", "songplays", "start_time"),
    Check("not_null", "songplays", "user_id"),
    Check("relationships", "songplays", "user_id", parent="users.user_id"),
    Check("relationships", "songplays", "start_time", parent="time.start_time"),
    Check("relationships", "songplays", "song_id", parent="songs.song_id"),
    Check("relationships", "songplays", "artist_id", parent="artists.artist_id"),
    Check("accepted_values", "songplays", "level", accepted_values=LEVELS),
    Check("matches_staged_plays", "songplays"),
    # users: one row per user, at their latest level
    Check("not_empty", "users"),
    Check("not_null", "users", "user_id"),
    Check("unique", "users", "user_id"),
    Check("not_null", "users", "level"),
    Check("accepted_values", "users", "level", accepted_values=LEVELS),
    # songs and artists: one row per catalog id
    Check("not_empty", "songs"),
    Check("not_null", "songs", "song_id"),
    Check("unique", "songs", "song_id"),
    Check("not_empty", "artists"),
    Check("not_null", "artists", "artist_id"),
    Check("unique", "artists", "artist_id"),
    # time: one row per distinct play timestamp
    Check("not_empty", "time"),
    Check("not_null", "time", "start_time"),
    Check("unique", "time", "start_time"),
)


@dataclass(frozen=True)
class CheckResult:
    check: str
    observed: int
    expected: str
    unit: str
    passed: bool

    def describe(self) -> str:
        verdict = "passed" if self.passed else "FAILED"
        return f"{self.check} {verdict}: observed {self.observed} {self.unit}, expected {self.expected}"


def evaluate(
    warehouse: Warehouse,
    checks: tuple[Check, ...],
    run_tables: Mapping[str, str],
    params: Mapping[str, Any],
) -> list[CheckResult]:
    """Measures every check; failing ones are reported, not raised, so the report is complete."""
    results = []
    for check in checks:
        test = TESTS[check.test]
        bind = dict(params)
        if check.accepted_values:
            bind["accepted_values"] = list(check.accepted_values)
        observed = int(
            warehouse.scalar(
                test.sql,
                check.identifiers(run_tables),
                bind,
                expanding=("accepted_values",) if check.accepted_values else (),
            )
        )
        results.append(CheckResult(check.name, observed, test.expectation(), test.unit, test.passes(observed)))
    return results
