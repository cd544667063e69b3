"""The flow as an operator meets it: checks that fail the run, the published report, the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

from flows.cli import main
from flows.etl.flow import sparkify_etl
from sparkify import quality, steps
from sparkify.errors import DataQualityError
from sparkify.run import LoadRun
from sparkify.sources import LocalSource
from sparkify.warehouse import connect
from sparkify.window import Window
from tests.support.factories import event, song, write_source
from tests.support.helpers import duckdb_url

REPO = Path(__file__).resolve().parents[1]
CATALOG = [song("SOX", "You Gotta Be", artist_id="ARX", artist_name="Des'ree", duration=246.30812)]
PLAYS = [event("2018-11-01T10:00:00.100", item=0), event("2018-11-01T10:04:00.100", item=1, level="paid")]


def loaded_warehouse(tmp_path: Path) -> str:
    """A warehouse loaded from a tiny source, every check green."""
    source = write_source(tmp_path / "source", PLAYS, CATALOG)
    url = duckdb_url(tmp_path)
    sparkify_etl(source=str(source), warehouse=url)
    return url


def execute(url: str, statement: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(statement))
    engine.dispose()


@pytest.mark.usefixtures("prefect_harness")
def test_a_failing_check_fails_the_run_saying_what_was_observed(tmp_path: Path) -> None:
    url = loaded_warehouse(tmp_path)
    execute(url, "INSERT INTO users (user_id, first_name, level) VALUES (99, 'Mallory', 'premium')")
    with pytest.raises(DataQualityError) as failure:
        sparkify_etl(source=str(tmp_path / "source"), warehouse=url)
    assert "accepted_values(users.level in {free, paid}) FAILED: observed 1 rows outside the accepted values" in str(
        failure.value
    )
    assert "expected 0" in str(failure.value)


@pytest.mark.usefixtures("prefect_harness")
def test_the_check_results_and_the_listening_report_are_published_on_the_flow_run(tmp_path: Path) -> None:
    source = write_source(tmp_path / "source", PLAYS, CATALOG)
    state = sparkify_etl(source=str(source), warehouse=duckdb_url(tmp_path), return_state=True)
    assert state.is_completed()
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[state.state_details.flow_run_id]))
        )
    [report] = [artifact for artifact in artifacts if artifact.key == "sparkify-quality-checks"]
    assert report.type == "table"
    table = json.loads(report.data) if isinstance(report.data, str) else report.data
    assert [row["check"] for row in table] == [check.name for check in quality.table_checks(staged=True)]
    assert {row["status"] for row in table} == {"passed"}
    [listening] = [artifact for artifact in artifacts if artifact.key == "sparkify-listening"]
    assert listening.type == "markdown"
    assert "**2 plays**; 2 of them (100.0%) matched" in listening.data
    # both plays at 10 o'clock: one full bar
    assert f"| 10 | 2 | {'█' * 30} |" in listening.data


@pytest.mark.usefixtures("prefect_harness")
@pytest.mark.parametrize(
    ("damage", "failing_checks"),
    [
        ("INSERT INTO songs (song_id, title) VALUES ('SOX', 'again')", ["unique(songs.song_id)"]),
        ("UPDATE users SET level = NULL", ["not_null(users.level)"]),
        (
            "DELETE FROM time WHERE start_time = (SELECT MIN(start_time) FROM time)",
            ["relationships(songplays.start_time -> time.start_time)"],
        ),
        ("DELETE FROM users", ["relationships(songplays.user_id -> users.user_id)", "not_empty(users)"]),
        ("DELETE FROM artists", ["relationships(songplays.artist_id -> artists.artist_id)", "not_empty(artists)"]),
        ("UPDATE songplays SET level = 'gold'", ["accepted_values(songplays.level in {free, paid})"]),
        ("DELETE FROM songplays WHERE level = 'paid'", ["matches_staged_plays(songplays)"]),
    ],
)
def test_each_kind_of_check_fails_on_the_defect_it_guards(
    tmp_path: Path, damage: str, failing_checks: list[str]
) -> None:
    source = write_source(tmp_path / "source", PLAYS, CATALOG)
    url = duckdb_url(tmp_path)
    sparkify_etl(source=str(source), warehouse=url)
    execute(url, damage)

    # re-stage the run's inputs so run-scoped checks have their staging tables, then measure
    warehouse = connect(url)
    run = LoadRun.new(Window.everything())
    raw = LocalSource(source)
    warehouse.create_staging(run.staging_events)
    warehouse.stage_events(run.staging_events, raw, raw.event_keys(run.window))
    replaced = steps.replaced_parts(warehouse, run, raw.event_objects(run.window))
    context = quality.CheckContext(run.window, run.staging_tables, replaced)
    with warehouse.engine.connect() as conn:
        results = quality.evaluate(steps.scalar_on(warehouse, conn), quality.table_checks(staged=True), context)
    failed = [result.check for result in results if not result.passed]
    assert failed == failing_checks


@pytest.mark.parametrize(
    ("check", "message"),
    [
        (lambda: quality.Check("unique", "user", "user_id"), "table 'user'"),
        (lambda: quality.Check("unique", "users", "userid"), "column users.userid"),
        (lambda: quality.Check("relationships", "songplays", "user_id", parent="user.user_id"), "table 'user'"),
        (lambda: quality.Check("uniq", "users", "user_id"), "unknown test 'uniq'"),
    ],
)
def test_a_check_naming_a_table_or_column_that_does_not_exist_is_refused(check, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check()


def test_help_explains_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    for option in ("--source", "--warehouse", "--window-start", "--window-end"):
        assert option in text


def test_half_a_window_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--window-start", "2018-11-01"]) == 2
    assert "give both --window-start and --window-end" in capsys.readouterr().err


@pytest.mark.usefixtures("prefect_harness")
def test_a_failed_run_exits_non_zero_with_an_actionable_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_source(tmp_path / "source", [event("2018-11-01T10:00:00.100", page="Home")], CATALOG)
    assert main(["--source", str(source), "--warehouse", duckdb_url(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "sparkify-etl failed: no NextSong event in" in err
