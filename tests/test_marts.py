"""The analysts' marts: each view equals what plain Python computes from the raw files, on DuckDB and PostgreSQL.

The facts are loaded by the pipeline's own steps (no flow run: the flow is not what is
tested here); the expected marts are computed from the star schema that
``tests/test_conformance.py`` derives from the raw files without SQL.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
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

from flows.cli import main
from sparkify import pipeline, schema, sql
from sparkify.config import RunConfig
from sparkify.pipeline import DirectRunner
from sparkify.run import LoadRun
from sparkify.sample import GeneratorConfig, generate
from sparkify.warehouse import Warehouse, connect
from sparkify.warehouse.base import AddColumn
from tests.support.factories import event, song, write_source
from tests.support.helpers import duckdb_url, rows, run_steps
from tests.support.samples import real_sample, write_feeds
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
    warehouse.create_tables()  # a second run finds nothing to add, nor a mart whose file changed

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


# -- marts that survive a run ------------------------------------------------------------------------------------

#: An analyst's view on a mart: what a run must never drop.
TOP_LISTENERS = "CREATE VIEW top_listeners AS SELECT user_id, SUM(plays) AS plays FROM sessions GROUP BY user_id"
#: sessions as a release with other columns made it: CREATE OR REPLACE cannot turn it into today's (PostgreSQL).
OLD_SESSIONS = "CREATE VIEW sessions AS SELECT user_id, COUNT(*) AS plays FROM songplays GROUP BY user_id"


@pytest.fixture
def warehouse_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return duckdb_url(tmp_path) if request.param == "duckdb" else request.getfixturevalue("pg_url")


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return write_feeds(tmp_path / "source")


@contextmanager
def sent_to(url: str) -> Iterator[list[str]]:
    """The statements this process sends to the database at ``url`` meanwhile, their comments left out."""
    database = sa.make_url(url).database
    sent: list[str] = []

    def capture(conn: sa.Connection, cursor: Any, statement: str, *args: Any) -> None:
        if conn.engine.url.database == database:  # without its comments, on one line
            sent.append(" ".join(re.sub(r"--[^\n]*", " ", statement).split()))

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", capture)
    try:
        yield sent
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", capture)


def execute(url: str, *statements: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(sa.text(statement))
    finally:
        engine.dispose()


def columns_of(url: str, view: str) -> list[str]:
    query = "SELECT column_name FROM information_schema.columns WHERE table_name = :view ORDER BY ordinal_position"
    return [name for (name,) in rows(url, query, view=view)]


@contextmanager
def analyst_role(url: str) -> Iterator[str]:
    """A PostgreSQL role for the test (roles belong to the server, not to the test's database)."""
    role = f"analyst_{uuid.uuid4().hex[:8]}"
    execute(url, f"CREATE ROLE {role}")
    try:
        yield role
    finally:
        execute(url, f"DROP OWNED BY {role}", f"DROP ROLE {role}")


@pytest.mark.parametrize("warehouse_url", ["duckdb", "postgresql"], indirect=True)
def test_an_analysts_view_on_a_mart_and_the_grants_on_it_survive_two_runs(warehouse_url: str, source: Path) -> None:
    url = warehouse_url
    load(url, source)
    execute(url, TOP_LISTENERS)
    postgres = url.startswith("postgresql")
    with analyst_role(url) if postgres else nullcontext("") as role:
        if postgres:
            execute(url, f"GRANT SELECT ON sessions TO {role}", f"GRANT SELECT ON top_listeners TO {role}")
        before = rows(url, "SELECT user_id, plays FROM top_listeners ORDER BY user_id")
        with sent_to(url) as sent:
            load(url, source)
            load(url, source)
        # no mart was created again, let alone dropped: their files did not change
        assert not [statement for statement in sent if re.match(r"(CREATE|DROP)\b.* VIEW", statement)]
        assert rows(url, "SELECT user_id, plays FROM top_listeners ORDER BY user_id") == before != []
        if postgres:
            query = "SELECT has_table_privilege(:role, :view, 'SELECT')"
            assert [rows(url, query, role=role, view=view) for view in ("sessions", "top_listeners")] == [[(True,)]] * 2


@pytest.mark.parametrize("warehouse_url", ["duckdb", "postgresql"], indirect=True)
def test_a_mart_whose_columns_changed_is_replaced_when_no_view_depends_on_it(warehouse_url: str, source: Path) -> None:
    url = warehouse_url
    load(url, source)
    declared = columns_of(url, "sessions")
    # as a release whose sessions.sql had other columns left it: its view, its digest
    execute(
        url,
        "DROP VIEW sessions",
        OLD_SESSIONS,
        "UPDATE mart_definitions SET definition_sha256 = 'previous' WHERE view_name = 'sessions'",
    )
    assert columns_of(url, "sessions") == ["user_id", "plays"]

    with sent_to(url) as sent:
        load(url, source)

    assert columns_of(url, "sessions") == declared
    assert not [statement for statement in sent if "CASCADE" in statement.upper()]
    digest = rows(url, "SELECT definition_sha256 FROM mart_definitions WHERE view_name = 'sessions'")
    assert digest == [
        (hashlib.sha256(sql.read("marts/sessions", sa.make_url(url).get_backend_name()).encode()).hexdigest(),)
    ]


@pytest.mark.usefixtures("prefect_harness")
def test_on_postgresql_a_changed_mart_an_analysts_view_depends_on_stops_the_run_with_what_to_do(
    pg_url: str, source: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    load(pg_url, source)
    execute(
        pg_url,
        "DROP VIEW sessions",
        OLD_SESSIONS,
        "UPDATE mart_definitions SET definition_sha256 = 'previous' WHERE view_name = 'sessions'",
        TOP_LISTENERS,
    )

    with sent_to(pg_url) as sent:
        assert main(["--source", str(source), "--warehouse", pg_url]) == 1

    err = capsys.readouterr().err
    (failed,) = [line for line in err.splitlines() if line.startswith("sparkify-etl failed:")]
    assert "the mart sessions changed its columns" in failed and "views built on it depend on it" in failed
    assert "sql/marts/sessions.sql" in failed and "Traceback" not in err
    # nothing was dropped: the analyst's view and the old mart stand, as their digest does
    assert not [statement for statement in sent if "CASCADE" in statement.upper()]
    assert columns_of(pg_url, "sessions") == ["user_id", "plays"]
    assert rows(pg_url, "SELECT COUNT(*) FROM top_listeners") != [(0,)]
    assert rows(pg_url, "SELECT definition_sha256 FROM mart_definitions WHERE view_name = 'sessions'") == [
        ("previous",)
    ]


# -- levels after a migration --------------------------------------------------------------------------------------


def old_users() -> sa.Table:
    """``users`` as a release before ``last_seen_at`` created it."""
    columns = [column for column in schema.users.columns if column.name != "last_seen_at"]
    return sa.Table("users", sa.MetaData(), *(sa.Column(c.name, c.type, nullable=c.nullable) for c in columns))


@pytest.mark.parametrize("warehouse_url", ["duckdb", "postgresql"], indirect=True)
def test_a_user_of_a_warehouse_created_before_last_seen_at_gets_the_level_of_a_later_event(
    warehouse_url: str, tmp_path: Path
) -> None:
    url = warehouse_url
    execute(url, str(CreateTable(old_users()).compile(dialect=sa.create_engine(url).dialect)))
    execute(
        url,
        "INSERT INTO users (user_id, first_name, last_name, gender, level) VALUES (8, 'Kay', 'Summers', 'F', 'free')",
    )
    root = write_source(
        tmp_path / "source",
        [
            event("2018-11-02T09:00:00.000", level="paid", item=0),
            event("2018-11-02T09:05:00.000", level="paid", item=1),
        ],
        [song("SOX", "You Gotta Be", artist_id="ARX", artist_name="Des'ree", duration=246.30812)],
    )

    run_steps(root, url, datetime(2018, 11, 2), datetime(2018, 11, 3))

    assert rows(url, "SELECT user_id, level, last_seen_at FROM users") == [(8, "paid", datetime(2018, 11, 2, 9, 5))]
