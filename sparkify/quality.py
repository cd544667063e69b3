"""Data-quality checks, declared as data in the manner of dbt's generic tests, each with its severity and scope.

``CHECKS`` is the list a reader scans to know what a green run guarantees. Each
check names a test (a SQL file under ``sql/checks/`` that returns one number, or one
of the few measures taken in Python: the source's delivery, the volume against the
days before), the table and column it applies to, its severity (``error`` fails the
run and nothing it loaded is kept; ``warn`` is reported and alerted, the run
completes), and its scope:

- ``window``: what a window's run wrote, evaluated inside the transaction that
  publishes it: the window's facts, its time rows, the users it staged, looked up by
  key in the tables (uniqueness against the rows already there included), never by
  scanning them. An hourly run's cost follows the hour.
- ``catalog``: the songs and artists a run's new song files gave, inside the
  catalog's transaction.
- ``table``: whole tables. The audit runs them (its own deployment, ``sparkify
  audit``), and so do a full load and a ``--full-refresh``.

Table and column names are verified against the schema when this module loads, so a
typo cannot make a check test nothing.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from sparkify import schema
from sparkify.window import Window

Severity = Literal["error", "warn"]
Scope = Literal["window", "catalog", "table"]

#: A query runner bound to the transaction the checks run in: ``(path, identifiers, params, expanding) -> value``.
Scalar = Callable[[str, Mapping[str, str], Mapping[str, Any], Sequence[str]], Any]


@dataclass(frozen=True)
class Thresholds:
    """The limits the freshness, delivery and volume checks judge by (settings ``SPARKIFY_*``, hourly defaults)."""

    freshness_warn_minutes: float = 120
    freshness_error_minutes: float = 1440
    missing_file_error_hours: float = 6
    volume_warn_ratio: float = 0.5
    volume_error_ratio: float = 0.1
    volume_min_plays: float = 20


@dataclass(frozen=True)
class CheckContext:
    """What a run knows when it checks: its window, the parts of it it replaced, its tables, the time."""

    window: Window
    identifiers: Mapping[str, str]
    #: The parts of the window whose facts the run replaced (the days it read a day file for).
    replaced: tuple[Window, ...] = ()
    #: The days of the window it found no readable day file for (missing, empty or unreadable).
    undelivered: tuple[date, ...] = ()
    now: datetime = field(default_factory=lambda: datetime.now(UTC).replace(tzinfo=None))
    thresholds: Thresholds = field(default_factory=Thresholds)


@dataclass(frozen=True)
class Measure:
    """What a check measured: a number, or nothing when it was skipped, and the words that explain it."""

    observed: float | None
    note: str = ""


@dataclass(frozen=True)
class Test:
    """A generic test: how it is measured, the range that passes, and the words for it."""

    #: ``sql/checks/<path>.sql`` per scope (``{scope}`` is filled in), or None for a measure taken in Python.
    sql: str | None
    minimum: float = 0
    maximum: float | None = 0
    unit: str = "rows"
    #: Evaluated once per replaced part of the window and added up (the window's facts against its staged plays).
    per_replaced_part: bool = False
    #: Whether a check's threshold is the bound it passes by (freshness, volume) or what its measure counts (delivery).
    threshold_bounds: bool = True
    #: Declared twice, a warning and an error, so each check of it is named with its severity.
    graded: bool = False

    def expectation(self, threshold: float | None = None) -> str:
        minimum, maximum = self.bounds(threshold)
        if maximum is None:
            return f"at least {minimum:g}"
        return f"{maximum:g}" if minimum == maximum else f"{minimum:g}..{maximum:g}"

    def bounds(self, threshold: float | None) -> tuple[float, float | None]:
        """The passing range; a thresholded test passes up to (or, for a ratio, from) its threshold."""
        if threshold is None or not self.threshold_bounds:
            return self.minimum, self.maximum
        return (threshold, None) if self.maximum is None else (self.minimum, threshold)

    def passes(self, observed: float, threshold: float | None = None) -> bool:
        minimum, maximum = self.bounds(threshold)
        return observed >= minimum and (maximum is None or observed <= maximum)


TESTS: dict[str, Test] = {
    "not_empty": Test("checks/{scope}/row_count", minimum=1, maximum=None, unit="rows"),
    "not_null": Test("checks/{scope}/not_null", unit="NULL values"),
    "unique": Test("checks/{scope}/unique", unit="duplicated values"),
    "relationships": Test("checks/{scope}/relationships", unit="rows without a parent"),
    "accepted_values": Test("checks/{scope}/accepted_values", unit="rows outside the accepted values"),
    "matches_staged_plays": Test(
        "checks/matches_staged_plays",
        unit="facts more or fewer than the run's NextSong events",
        per_replaced_part=True,
    ),
    # the newest play, against the window's end
    "freshness": Test(None, unit="minutes between the window's end and the newest play", graded=True),
    # the window's days without a readable event file
    "delivered": Test(
        None, unit="days of the window without a readable event file", threshold_bounds=False, graded=True
    ),
    # the window's plays against the median of the same window on each of the 7 days before
    "volume": Test(
        None, minimum=0, maximum=None, unit="of the median plays of the same window on the 7 days before", graded=True
    ),
}


@dataclass(frozen=True)
class Check:
    """One test applied to one table (and column), with its scope and severity."""

    test: str
    table: str
    column: str | None = None
    parent: str | None = None  # "table.column" a relationships check points to
    accepted_values: tuple[str, ...] = ()
    scope: Scope = "window"
    severity: Severity = "error"
    #: The ``Thresholds`` field this check passes or fails by (freshness, delivery, volume).
    threshold: str | None = None

    def __post_init__(self) -> None:
        if self.test not in TESTS:
            raise ValueError(f"unknown test {self.test!r} in {self}")
        _require_column(self.table, self.column)
        if self.parent is not None:
            _require_column(*self.parent.split(".", 1))
        if self.threshold is not None and self.threshold not in Thresholds.__dataclass_fields__:
            raise ValueError(f"unknown threshold {self.threshold!r} in {self}")

    @property
    def name(self) -> str:
        target = self.table if self.column is None else f"{self.table}.{self.column}"
        if self.parent:
            target += f" -> {self.parent}"
        if self.accepted_values:
            target += f" in {{{', '.join(self.accepted_values)}}}"
        suffix = f" {self.severity}" if TESTS[self.test].graded else ""
        return f"{self.test}({target}){suffix}"

    def identifiers(self, run_tables: Mapping[str, str]) -> dict[str, str]:
        names = {"table": self.table, **run_tables}
        # the rows the run wrote: its window table, or for the catalog the song files it staged
        written = {"window": f"window_{self.table}", "catalog": "staging_songs"}.get(self.scope, "")
        if written in run_tables:
            names["written"] = run_tables[written]
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

#: What a green run guarantees, scope by scope.
CHECKS: tuple[Check, ...] = (
    # -- window: what an hourly (or any bounded) run wrote, looked up by key -------------------------
    # songplays: the window's facts, exactly one per NextSong event, every reference resolvable
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
    # users the run staged, at their latest level, once each
    Check("not_null", "users", "user_id"),
    Check("unique", "users", "user_id"),
    Check("not_null", "users", "level"),
    Check("accepted_values", "users", "level", accepted_values=LEVELS),
    # the window's time rows, once each
    Check("not_null", "time", "start_time"),
    Check("unique", "time", "start_time"),
    # unattended: plays keep arriving, the day files are delivered, an hour is not far below its usual
    Check("freshness", "songplays", "start_time", severity="warn", threshold="freshness_warn_minutes"),
    Check("freshness", "songplays", "start_time", severity="error", threshold="freshness_error_minutes"),
    Check("delivered", "songplays", severity="warn"),
    Check("delivered", "songplays", severity="error", threshold="missing_file_error_hours"),
    Check("volume", "songplays", severity="warn", threshold="volume_warn_ratio"),
    Check("volume", "songplays", severity="error", threshold="volume_error_ratio"),
    # -- catalog: the songs and artists of the song files the run staged, once each -----------------
    Check("unique", "songs", "song_id", scope="catalog"),
    Check("unique", "artists", "artist_id", scope="catalog"),
    # -- table: whole tables (the audit, a full load, a full refresh) ------------------------------
    Check("not_empty", "songplays", scope="table"),
    Check("not_null", "songplays", "songplay_id", scope="table"),
    Check("unique", "songplays", "songplay_id", scope="table"),
    Check("not_null", "songplays", "start_time", scope="table"),
    Check("not_null", "songplays", "user_id", scope="table"),
    Check("relationships", "songplays", "user_id", parent="users.user_id", scope="table"),
    Check("relationships", "songplays", "start_time", parent="time.start_time", scope="table"),
    Check("relationships", "songplays", "song_id", parent="songs.song_id", scope="table"),
    Check("relationships", "songplays", "artist_id", parent="artists.artist_id", scope="table"),
    Check("accepted_values", "songplays", "level", accepted_values=LEVELS, scope="table"),
    Check("matches_staged_plays", "songplays", scope="table"),
    Check("not_empty", "users", scope="table"),
    Check("not_null", "users", "user_id", scope="table"),
    Check("unique", "users", "user_id", scope="table"),
    Check("not_null", "users", "level", scope="table"),
    Check("accepted_values", "users", "level", accepted_values=LEVELS, scope="table"),
    Check("not_empty", "songs", scope="table"),
    Check("not_null", "songs", "song_id", scope="table"),
    Check("unique", "songs", "song_id", scope="table"),
    Check("not_empty", "artists", scope="table"),
    Check("not_null", "artists", "artist_id", scope="table"),
    Check("unique", "artists", "artist_id", scope="table"),
    Check("not_empty", "time", scope="table"),
    Check("not_null", "time", "start_time", scope="table"),
    Check("unique", "time", "start_time", scope="table"),
)
#: What needs a run's staged events: an audit has none, so it leaves these out.
_STAGED_ONLY = frozenset({"matches_staged_plays"})


def window_checks() -> tuple[Check, ...]:
    """What a bounded window's run checks of what it wrote."""
    return tuple(check for check in CHECKS if check.scope == "window")


def catalog_checks() -> tuple[Check, ...]:
    """What the catalog's transaction checks of the songs and artists it wrote."""
    return tuple(check for check in CHECKS if check.scope == "catalog")


def table_checks(*, staged: bool) -> tuple[Check, ...]:
    """Whole tables: a full load or a full refresh (``staged``), or the audit (nothing staged)."""
    return tuple(check for check in CHECKS if check.scope == "table" and (staged or check.test not in _STAGED_ONLY))


@dataclass(frozen=True)
class CheckResult:
    check: str
    severity: Severity
    observed: float | None
    expected: str
    unit: str
    passed: bool
    note: str = ""

    @property
    def failed_error(self) -> bool:
        return not self.passed and self.severity == "error"

    def describe(self) -> str:
        verdict = "passed" if self.passed else ("FAILED" if self.severity == "error" else "WARNING")
        shown = "nothing (skipped)" if self.observed is None else f"{self.observed:g} {self.unit}"
        note = f" ({self.note})" if self.note else ""
        return f"{self.check} {verdict}: observed {shown}, expected {self.expected}{note}"

    def row(self, run_key: str, window: Window, checked_at: datetime) -> dict[str, Any]:
        """The row of ``check_results``."""
        return {
            "run_key": run_key,
            **window.params(),
            "check_name": self.check,
            "severity": self.severity,
            "observed": self.observed,
            "expected": self.expected,
            "passed": self.passed,
            "detail": self.describe()[:1024],
            "checked_at": checked_at,
        }


#: The statements the measures taken in Python run, besides their tests' files.
_MEASURE_STATEMENTS = {"freshness": ("checks/window/newest_play",), "volume": ("checks/window/plays_between",)}


def statements(checks: Sequence[Check], run_tables: Mapping[str, str]) -> list[tuple[str, dict[str, str]]]:
    """Every statement the checks run, with its identifiers: what a transaction that evaluates them touches."""
    found = []
    for check in checks:
        test = TESTS[check.test]
        if test.sql is None:
            found.extend((path, {}) for path in _MEASURE_STATEMENTS.get(check.test, ()))
        else:
            found.append((_path(check, test), check.identifiers(run_tables)))
    return found


def failure_message(what: str, results: Sequence[CheckResult]) -> str:
    """What a failed run says: how many checks failed, and each error-level one with what it observed."""
    errors = [result for result in results if result.failed_error]
    return f"{len(errors)} of {len(results)} of {what} quality checks failed:\n" + "\n".join(
        f"  - {result.describe()}" for result in errors
    )


def evaluate(scalar: Scalar, checks: Sequence[Check], context: CheckContext) -> list[CheckResult]:
    """Measures every check; failing ones are reported, not raised, so the report is complete."""
    results = []
    for check in checks:
        test = TESTS[check.test]
        threshold = getattr(context.thresholds, check.threshold) if check.threshold else None
        measure = _measure(scalar, check, test, context, threshold)
        passed = measure.observed is None or test.passes(measure.observed, threshold)
        results.append(
            CheckResult(
                check.name,
                check.severity,
                measure.observed,
                test.expectation(threshold),
                test.unit,
                passed,
                measure.note,
            )
        )
    return results


def _measure(scalar: Scalar, check: Check, test: Test, context: CheckContext, threshold: float | None) -> Measure:
    if test.sql is None:
        return _MEASURES[check.test](scalar, check, context, threshold)
    path = _path(check, test)
    bind: dict[str, Any] = dict(context.window.params())
    expanding: tuple[str, ...] = ()
    if check.accepted_values:
        bind["accepted_values"] = list(check.accepted_values)
        expanding = ("accepted_values",)
    identifiers = check.identifiers(context.identifiers)
    if test.per_replaced_part:
        parts = [{**bind, "part_start": part.start, "part_end": part.end} for part in context.replaced]
        return Measure(sum(float(scalar(path, identifiers, part, expanding)) for part in parts))
    return Measure(float(scalar(path, identifiers, bind, expanding)))


def _path(check: Check, test: Test) -> str:
    assert test.sql is not None
    return test.sql.format(scope="window" if check.scope == "catalog" else check.scope)


def _freshness(scalar: Scalar, check: Check, context: CheckContext, threshold: float | None) -> Measure:
    """Minutes from the newest play to the window's end, looked for no further back than the largest threshold."""
    horizon = context.thresholds.freshness_error_minutes
    since = context.window.end - timedelta(minutes=horizon)
    newest = scalar("checks/window/newest_play", {}, {"since": since}, ())
    if newest is None:
        return Measure(horizon + 1, f"no play since {since:%Y-%m-%d %H:%M}")
    return Measure(max(0.0, (context.window.end - newest).total_seconds() / 60))


def _delivered(scalar: Scalar, check: Check, context: CheckContext, threshold: float | None) -> Measure:
    """The window's days without a readable day file; with a threshold, only those it has been missing past."""
    days = context.undelivered
    if threshold is not None:
        overdue = context.now - timedelta(hours=threshold)
        days = tuple(day for day in days if min(context.window.end, _next_midnight(day)) <= overdue)
    note = ", ".join(f"{day:%Y-%m-%d}" for day in days)
    return Measure(len(days), f"no readable file for {note}" if days else "")


def _volume(scalar: Scalar, check: Check, context: CheckContext, threshold: float | None) -> Measure:
    """The window's plays over the median of the same window shifted back by 1 to 7 days (a day at most)."""
    window = context.window
    if window.end - window.start > timedelta(days=1):
        return Measure(None, "windows longer than a day are not compared")

    def plays(shift: int) -> int:
        bounds = {"part_start": window.start - timedelta(days=shift), "part_end": window.end - timedelta(days=shift)}
        return int(scalar("checks/window/plays_between", {}, bounds, ()))

    usual = statistics.median(plays(shift) for shift in range(1, 8))
    if usual < context.thresholds.volume_min_plays:
        return Measure(None, f"the median of the 7 days before is {usual:g} plays, too few to judge")
    now = plays(0)
    return Measure(round(now / usual, 3), f"{now} plays against a median of {usual:g}")


def _next_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day) + timedelta(days=1)


_MEASURES: dict[str, Callable[[Scalar, Check, CheckContext, float | None], Measure]] = {
    "freshness": _freshness,
    "delivered": _delivered,
    "volume": _volume,
}
