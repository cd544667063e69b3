"""The analysts' marts: each view equals what plain Python computes from the raw files, on DuckDB and PostgreSQL.

The facts are loaded by the pipeline's own steps (no flow run: the flow is not what is
tested here); the expected marts are computed from the star schema that
``tests/test_conformance.py`` derives from the raw files without SQL.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import sqlglot
from sqlalchemy.schema import CreateTable
from sqlalchemy_redshift.dialect import RedshiftDialect_redshift_connector
from sqlglot import exp

from sparkify import pipeline, schema, sql
from sparkify.config import RunConfig
from sparkify.pipeline import DirectRunner
from sparkify.run import LoadRun
from sparkify.sample import GeneratorConfig, generate
from sparkify.warehouse import Warehouse, connect
from sparkify.warehouse.base import AddColumn
from tests.helpers import duckdb_url, rows
from tests.samples import real_sample
from tests.test_conformance import expected_tables

#: The listening marts, each checked against Python; check_health (the quality checks' history) is checked apart.
MARTS = [
    "level_switches",
    "levels_by_day",
    "listening_by_hour",
    "listening_by_hour_of_day",
    "listening_by_weekday",
    "plays_by_artist",
    "plays_by_song",
    "sessions",
]
#: Added to ``songplays`` after the first release: a warehouse created before them gains them.
NEW_COLUMNS = ("song_title", "artist_name", "song_length")
WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A month of the generator's events: upgrades, downgrades, unmatched plays and many sessions."""
    return generate(tmp_path_factory.mktemp("source"), GeneratorConfig(events=4000, songs=200, users=40)).root


def load(url: str, root: Path) -> Warehouse:
    """Every step of a run over ``root``, one after another, as ``plan`` runs them: no Prefect."""
    warehouse = connect(url)
    config = RunConfig.resolve(source=str(root), warehouse=url)
    pipeline.load(DirectRunner(), config, LoadRun.new(config.window), warehouse)
    return warehouse


# -- the marts computed in Python --------------------------------------------------------------


def hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def weekday(moment: datetime) -> int:
    return moment.isoweekday() % 7


def expected_marts(root: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every mart as the issue defines it, from the raw files' star schema, without SQL."""
    tables = expected_tables(root)
    titles = {row[0]: row[1] for row in tables["songs"]}
    names = {row[0]: row[1] for row in tables["artists"]}
    named = Counter(names.values())
    # a name the catalog gives one artist only names that artist, in plays of songs the catalog lacks too
    artist_of_name = {name: artist for artist, name in names.items() if named[name] == 1}
    plays = [
        {
            "start": row[1],
            "user": row[2],
            "level": row[3],
            "song_id": row[4],
            "artist_id": row[5],
            "session": row[6],
            "songplay_id": row[0],
            # a matched play is named by the catalog, an unmatched one by the event
            "title": titles[row[4]] if row[4] else row[9],
            "artist": names[row[5]] if row[5] else row[10],
            "known_artist_id": row[5] or artist_of_name.get(row[10]),
            "length": row[11],
        }
        for row in tables["songplays"]
    ]

    def grouped(key: Callable[[dict[str, Any]], tuple[Any, ...]]) -> dict[tuple[Any, ...], list[dict[str, Any]]]:
        groups: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
        for play in plays:
            groups[key(play)].append(play)
        return groups

    def users(group: list[dict[str, Any]], level: str | None = None) -> int:
        return len({p["user"] for p in group if level in (None, p["level"]) and p["user"] is not None})

    def count(group: list[dict[str, Any]], keep: Callable[[dict[str, Any]], bool]) -> int:
        return sum(1 for p in group if keep(p))

    switches = []
    by_user = grouped(lambda p: (p["user"],))
    for (user,), group in by_user.items():
        ordered = sorted(group, key=lambda p: (p["start"], p["session"], p["songplay_id"]))
        for before, after in pairwise(ordered):
            if before["level"] != after["level"]:
                switches.append((user, after["start"], after["start"].date(), before["level"], after["level"]))

    levels = []
    for (day,), group in grouped(lambda p: (p["start"].date(),)).items():
        switched = [s for s in switches if s[2] == day]
        levels.append(
            (
                day,
                count(group, lambda p: p["level"] == "free"),
                count(group, lambda p: p["level"] == "paid"),
                users(group, "free"),
                users(group, "paid"),
                len({s[0] for s in switched if s[4] == "paid"}),
                len({s[0] for s in switched if s[4] == "free"}),
                len({s[0] for s in switched}),
            )
        )

    matched = lambda p: p["song_id"] is not None  # noqa: E731
    marts = {
        "plays_by_song": [
            (*key, key[1] is not None, len(group), users(group))
            for key, group in grouped(
                lambda p: (hour(p["start"]), p["song_id"], p["title"], p["artist_id"], p["artist"])
            ).items()
        ],
        "plays_by_artist": [
            (*key, key[1] is not None, len(group), users(group))
            for key, group in grouped(lambda p: (hour(p["start"]), p["known_artist_id"], p["artist"])).items()
        ],
        "listening_by_hour": [
            (
                moment,
                moment.date(),
                moment.hour,
                weekday(moment),
                len(group),
                users(group),
                count(group, lambda p: p["level"] == "free"),
                count(group, lambda p: p["level"] == "paid"),
                count(group, matched),
                count(group, matched) / len(group),
            )
            for (moment,), group in grouped(lambda p: (hour(p["start"]),)).items()
        ],
        "listening_by_hour_of_day": [
            (*key, len(group), users(group)) for key, group in grouped(lambda p: (p["start"].hour,)).items()
        ],
        "listening_by_weekday": [
            (day, WEEKDAYS[day], len(group), users(group))
            for (day,), group in grouped(lambda p: (weekday(p["start"]),)).items()
        ],
        "level_switches": switches,
        "levels_by_day": levels,
        "sessions": [
            (
                *key,
                min(p["start"] for p in group),
                max(p["start"] for p in group),
                len(group),
                (max(p["start"] for p in group) - min(p["start"] for p in group)).total_seconds(),
                sum(p["length"] for p in group),
            )
            for key, group in grouped(lambda p: (p["user"], p["session"])).items()
        ],
    }
    return {name: normalised(found) for name, found in marts.items()}


def normalised(found: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows sorted, numbers rounded: engines return DOUBLE, NUMERIC or DECIMAL for the same value."""

    def value(v: Any) -> Any:
        return round(float(v), 6) if isinstance(v, Decimal | float) else v

    cleaned = [tuple(value(v) for v in row) for row in found]
    return sorted(cleaned, key=lambda row: tuple((v is None, str(v)) for v in row))


def actual_marts(url: str) -> dict[str, list[tuple[Any, ...]]]:
    return {name: normalised(rows(url, f"SELECT * FROM {name}")) for name in MARTS}


def assert_marts_match(url: str, root: Path) -> None:
    expected, actual = expected_marts(root), actual_marts(url)
    for name in MARTS:
        assert actual[name] == expected[name], f"{name} differs from the independent computation"


# -- the tests ---------------------------------------------------------------------------------


def test_the_marts_are_every_view_of_sql_marts() -> None:
    assert [path.split("/")[1] for path in sql.script("marts", "duckdb")] == sorted(["check_health", *MARTS])


def test_on_duckdb_the_marts_of_the_generated_sample_equal_the_independent_computation(
    generated: Path, tmp_path: Path
) -> None:
    url = duckdb_url(tmp_path)
    load(url, generated)
    expected = expected_marts(generated)
    # the sample exercises what the marts distinguish
    assert {row[5] for row in expected["plays_by_song"]} == {True, False}
    assert {row[4] for row in expected["level_switches"]} == {"free", "paid"}
    # some plays of songs the catalog lacks name an artist it has
    artist_plays = sum(row[4] for row in expected["plays_by_artist"] if row[3])
    assert artist_plays > sum(row[8] for row in expected["listening_by_hour"])
    assert_marts_match(url, generated)


def test_on_postgresql_the_marts_of_the_generated_sample_equal_the_independent_computation(
    generated: Path, pg_url: str
) -> None:
    load(pg_url, generated)
    assert_marts_match(pg_url, generated)


@pytest.mark.parametrize("engine", ["duckdb", "postgresql"])
def test_the_marts_of_the_real_sample_equal_the_independent_computation(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    root = real_sample()
    url = duckdb_url(tmp_path) if engine == "duckdb" else request.getfixturevalue("pg_url")
    load(url, root)
    assert_marts_match(url, root)


def old_songplays() -> sa.Table:
    """``songplays`` as the first release created it: without the columns added since."""
    return sa.Table(
        "songplays",
        sa.MetaData(),
        *(
            sa.Column(column.name, column.type, nullable=column.nullable)
            for column in schema.songplays.columns
            if column.name not in NEW_COLUMNS
        ),
    )


@pytest.mark.parametrize("engine", ["duckdb", "postgresql"])
def test_a_warehouse_created_before_the_new_columns_gains_them_and_keeps_its_facts(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = duckdb_url(tmp_path) if engine == "duckdb" else request.getfixturevalue("pg_url")
    warehouse = connect(url)
    with warehouse.engine.begin() as conn:
        conn.execute(CreateTable(old_songplays()))
        conn.execute(
            sa.text(
                "INSERT INTO songplays (songplay_id, start_time, user_id, level, session_id) "
                "VALUES ('old', TIMESTAMP '2018-11-01 10:00:00', 8, 'free', 139)"
            )
        )
    warehouse.create_tables()
    warehouse.create_tables()  # a second run finds nothing to add and replaces the views

    columns = [
        name
        for (name,) in rows(
            url,
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'songplays' ORDER BY ordinal_position",
        )
    ]
    assert columns == [column.name for column in schema.songplays.columns]
    assert rows(url, "SELECT songplay_id, song_title, artist_name, song_length FROM songplays") == [
        ("old", None, None, None)
    ]
    # the marts read the altered table: the old play counts, unnamed
    assert rows(url, "SELECT song_title, plays FROM plays_by_song") == [(None, 1)]


def redshift_sql(statement: sa.Executable | sa.TextClause) -> exp.Expression:
    """A statement as the Redshift dialect compiles it, parsed by sqlglot's Redshift reader."""
    text = str(statement.compile(dialect=RedshiftDialect_redshift_connector()))
    [parsed] = sqlglot.parse(text, read="redshift")
    assert parsed is not None and not isinstance(parsed, exp.Command), text
    return parsed


@pytest.mark.parametrize("mart", ["check_health", *MARTS])
def test_each_mart_is_one_redshift_create_or_replace_view(mart: str) -> None:
    statement = sa.text(sql.render(f"marts/{mart}", RedshiftDialect_redshift_connector()))
    parsed = redshift_sql(statement)
    assert isinstance(parsed, exp.Create)
    assert (parsed.args["kind"], parsed.args.get("replace"), parsed.this.name) == ("VIEW", True, mart)


@pytest.mark.parametrize("column", NEW_COLUMNS)
def test_redshift_adds_each_new_column_with_a_statement_of_its_own(column: str) -> None:
    parsed = redshift_sql(AddColumn(schema.songplays, schema.songplays.c[column]))
    assert isinstance(parsed, exp.Alter)
    assert [action.name for action in parsed.args["actions"]] == [column]
