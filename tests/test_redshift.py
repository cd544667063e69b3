"""The Redshift path, as real as it gets without a cluster.

Every statement of a Redshift plan is compiled by sqlalchemy-redshift's dialect
(the one a run uses) and must parse with sqlglot's Redshift reader; the COPY
options are read back from that SQL; the engine is the real redshift_connector one.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
import sqlglot
from prefect_aws import AwsCredentials
from sqlalchemy_redshift.dialect import RedshiftDialect_redshift_connector
from sqlglot import exp

from bench.services import S3Server, upload_tree
from sparkify import sql
from sparkify.blocks import WarehouseConnection
from sparkify.dryrun import Plan, Statement, plan
from sparkify.settings import get_settings
from sparkify.sources import EVENT_COLUMNS, LocalSource, SourceError, SourceObject, open_source
from sparkify.warehouse import connect
from sparkify.warehouse.redshift import CopyConfigError, RedshiftWarehouse
from sparkify.window import Window
from tests.support.samples import new_bucket, use_s3, write_feeds

REPO = Path(__file__).resolve().parents[1]
SOURCE = "s3://udacity-dend/sparkify"
ROLE = "arn:aws:iam::123456789012:role/sparkify-redshift-copy"
PASSWORD = "Pw-Never-Shown-7f3a"
# AWS's documented example keys: the shape CopyCommand checks, valid nowhere
ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SESSION_TOKEN = "FwoGZXIvYXdzEXAMPLEsessionTOKEN0123456789abcdef"


def redshift_block(**fields) -> WarehouseConnection:
    defaults = {
        "driver": "redshift+redshift_connector",
        "host": "sparkify.abc123.us-west-2.redshift.amazonaws.com",
        "port": 5439,
        "database": "dev",
        "user": "etl",
        "password": PASSWORD,
        "region": "us-west-2",
    }
    return WarehouseConnection(**{**defaults, **fields})


def key_credentials(**fields) -> AwsCredentials:
    return AwsCredentials(aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, **fields)


def parse(statement: str) -> exp.Expression:
    """The one statement sqlglot's Redshift reader finds, parsed for real (not kept as an opaque command)."""
    parsed = sqlglot.parse(statement, read="redshift")
    assert len(parsed) == 1, statement
    assert parsed[0] is not None and not opaque(parsed[0]), statement
    return parsed[0]


def opaque(expression: exp.Expression | None) -> bool:
    """A statement sqlglot kept as a command, except ``LOCK table[, table…]``, which it has no grammar for."""
    if isinstance(expression, exp.Command) and expression.this == "LOCK":
        return not re.fullmatch(r"[a-z_]+(, [a-z_]+)*", expression.expression.name)
    return isinstance(expression, exp.Command)


def copies(planned) -> list[str]:
    """The COPY statements, whitespace collapsed so options read as one line."""
    return [" ".join(s.sql.split()) for s in planned.statements if s.sql.startswith("COPY ")]


def test_every_statement_of_the_redshift_plan_is_valid_redshift_sql() -> None:
    planned = plan(SOURCE, block=redshift_block(iam_role_arn=ROLE))
    kinds = [type(parse(statement.sql)).__name__ for statement in planned.statements]
    assert kinds.count("Copy") == 2
    assert {"Create", "Drop", "Copy", "Delete", "Insert", "Select"} <= set(kinds)
    # each transaction that writes a shared table locks first: each feed's rejects, the catalog (with songs, artists,
    # songplays and the ledger), the window's publication (facts, dimensions, ledger and check results together),
    # and each mart's creation (mart_definitions: a view cannot be locked)
    assert kinds.count("Command") == 4 + len(sql.script("marts", "redshift"))
    # and the plan as printed, BEGIN/COMMIT and comments included, reads as one Redshift script
    script = sqlglot.parse(planned.text(), read="redshift")
    assert not any(opaque(expression) for expression in script)
    assert len(script) == len(planned.statements) + 2 * planned.text().count("BEGIN;")


def test_a_full_load_copies_each_feed_through_its_manifest_with_one_statement() -> None:
    events, songs = copies(plan(SOURCE, block=redshift_block(iam_role_arn=ROLE)))
    assert events.startswith(f"COPY staging_events_plan FROM '{SOURCE}/manifests/plan/events.manifest' ")
    assert songs.startswith(f"COPY staging_songs_plan FROM '{SOURCE}/manifests/plan/songs.manifest' ")


@pytest.mark.parametrize("kind", ["events", "songs"])
def test_copy_reads_json_by_name_with_the_options_the_source_needs(kind: str) -> None:
    planned = plan(SOURCE, block=redshift_block(iam_role_arn=ROLE, copy_max_error=7))
    (copy,) = [c for c in copies(planned) if c.startswith(f"COPY staging_{kind}_plan ")]
    assert f"IAM_ROLE '{ROLE}'" in copy and "CREDENTIALS" not in copy
    for option in (
        "MANIFEST",
        "FORMAT AS JSON AS 'auto ignorecase'",
        "TIMEFORMAT AS 'epochmillisecs'",
        "TRUNCATECOLUMNS",
        "COMPUPDATE OFF",
        "STATUPDATE OFF",
        "MAXERROR AS 8",  # COPY fails at MAXERROR errors, the budget of 7 at more than 7
        "REGION 'us-west-2'",
    ):
        assert option in copy
    # an empty or blank text stays as it is, as on DuckDB and PostgreSQL: one rule for the star schema everywhere
    assert "BLANKSASNULL" not in copy and "EMPTYASNULL" not in copy
    parsed = parse(copy)
    assert isinstance(parsed, exp.Copy)
    assert parsed.this.name == f"staging_{kind}_plan"
    assert [file.name for file in parsed.args["files"]] == [f"{SOURCE}/manifests/plan/{kind}.manifest"]


def test_max_error_defaults_to_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPARKIFY_COPY_MAX_ERROR", "25")
    assert all("MAXERROR AS 26" in copy for copy in copies(plan(SOURCE, block=redshift_block(iam_role_arn=ROLE))))


def test_a_url_takes_the_role_and_region_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPARKIFY_COPY_IAM_ROLE", ROLE)
    monkeypatch.setenv("SPARKIFY_COPY_REGION", "eu-west-1")
    planned = plan(SOURCE, f"redshift+redshift_connector://etl:{PASSWORD}@cluster.example:5439/dev")
    events, _ = copies(planned)
    assert f"IAM_ROLE '{ROLE}'" in events
    assert "REGION 'eu-west-1'" in events
    assert f"MAXERROR AS {get_settings().copy_max_error + 1}" in events
    assert PASSWORD not in planned.text()


def test_access_keys_from_the_aws_credentials_block_are_used_and_masked(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    block = redshift_block(aws_credentials=key_credentials(aws_session_token=SESSION_TOKEN))
    planned = plan(SOURCE, block=block)
    for copy in copies(planned):
        assert f"WITH CREDENTIALS AS 'aws_access_key_id={ACCESS_KEY};aws_secret_access_key=***;token=***'" in copy
        parse(copy)
    seen = planned.text() + caplog.text + repr(block) + repr(connect(block=block))
    for secret in (PASSWORD, SECRET_KEY, SESSION_TOKEN):
        assert secret not in seen


def test_an_iam_role_is_preferred_to_keys() -> None:
    planned = plan(SOURCE, block=redshift_block(iam_role_arn=ROLE, aws_credentials=key_credentials()))
    assert all(f"IAM_ROLE '{ROLE}'" in copy for copy in copies(planned))
    assert ACCESS_KEY not in planned.text()


def test_copy_without_a_role_or_keys_is_a_clear_error() -> None:
    with pytest.raises(CopyConfigError, match=r"give an IAM role ARN .* or AWS access keys"):
        plan(SOURCE, block=redshift_block())


def test_a_window_copies_its_day_files_through_one_manifest() -> None:
    window = Window(datetime(2018, 11, 1), datetime(2018, 11, 4))
    planned = plan(SOURCE, block=redshift_block(iam_role_arn=ROLE), window=window)
    events = [copy for copy in copies(planned) if copy.startswith("COPY staging_events_plan ")]
    assert [re.search(r"FROM '([^']+)'", copy)[1] for copy in events] == [f"{SOURCE}/manifests/plan/events.manifest"]
    text = planned.text()
    assert f"-- a run writes {SOURCE}/manifests/plan/events.manifest" in text
    for day in (1, 2, 3):  # the rejects of exactly the day files read are replaced
        assert f"'{SOURCE}/log_data/2018/11/2018-11-0{day}-events.json'" in text
    # as redshift_connector sends it: the value bound to $1, shown beside it
    assert "WHERE start_time >= $1 /* '2018-11-01 00:00:00' */" in text


def test_csv_event_logs_are_copied_as_csv_by_column_position() -> None:
    planned = plan(SOURCE, block=redshift_block(iam_role_arn=ROLE), events_format="csv")
    events, songs = copies(planned)
    columns = ", ".join(name.lower() for name in EVENT_COLUMNS)
    assert events.startswith(f"COPY staging_events_plan ({columns}) FROM '{SOURCE}/manifests/plan/events.manifest' ")
    for option in ("FORMAT AS CSV", "IGNOREHEADER AS 1", "TIMEFORMAT AS 'epochmillisecs'", "BLANKSASNULL"):
        assert option in events
    assert "JSON" not in events
    assert "FORMAT AS JSON AS 'auto ignorecase'" in songs  # song files are JSON whatever the logs are
    parse(events)


def test_tables_carry_their_distribution_and_sort_keys() -> None:
    planned = plan(SOURCE, block=redshift_block(iam_role_arn=ROLE))
    created = {}
    for statement in planned.statements:
        parsed = parse(statement.sql)
        if isinstance(parsed, exp.Create) and parsed.kind == "TABLE":
            properties = parsed.args["properties"].sql(dialect="redshift")
            created[parsed.this.this.name] = properties
    assert created == {
        "songplays": "DISTSTYLE EVEN SORTKEY(start_time)",
        "users": "DISTSTYLE ALL SORTKEY(user_id)",
        "songs": "DISTSTYLE ALL SORTKEY(song_id)",
        "artists": "DISTSTYLE ALL SORTKEY(artist_id)",
        "time": "DISTSTYLE ALL SORTKEY(start_time)",
        "rejected_records": "DISTSTYLE EVEN",
        "song_catalog": "DISTSTYLE ALL SORTKEY(title)",
        "loaded_objects": "DISTSTYLE ALL SORTKEY(source_object)",
        "check_results": "DISTSTYLE EVEN SORTKEY(checked_at)",
        "mart_definitions": "DISTSTYLE ALL",
        "staging_events_plan": "DISTSTYLE EVEN",
        "staging_songs_plan": "DISTSTYLE EVEN",
        "staging_songplays_plan": "DISTSTYLE EVEN",
        "staging_users_plan": "DISTSTYLE EVEN",
        "staging_time_plan": "DISTSTYLE EVEN",
    }


def test_the_engine_from_a_block_is_redshift_connector_and_hides_parameters() -> None:
    warehouse = connect(block=redshift_block(iam_role_arn=ROLE))
    assert isinstance(warehouse, RedshiftWarehouse)
    assert warehouse.engine.dialect.name == "redshift"
    assert warehouse.engine.dialect.driver == "redshift_connector"
    assert warehouse.engine.url.password == PASSWORD  # used to log in ...
    assert PASSWORD not in repr(warehouse) + str(warehouse.engine.url)  # ... never shown
    # bound values are not printed in errors or echo
    assert warehouse.engine.hide_parameters


def test_a_failed_copy_shows_no_secret(tmp_path: Path, s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real driver, a cluster that does not answer: the error says so, and holds no secret."""
    use_s3(s3_server, monkeypatch)
    bucket = new_bucket()
    upload_tree(s3_server, bucket, "", write_feeds(tmp_path))
    warehouse = connect(block=redshift_block(host="127.0.0.1", port=9, aws_credentials=key_credentials()))
    staging = sa.Table("staging_songs_x", sa.MetaData(), sa.Column("song_id", sa.String))
    with pytest.raises(sa.exc.DBAPIError) as refused:
        source = open_source(f"s3://{bucket}")
        warehouse.stage_songs(staging, source, source.song_objects())
    warehouse.engine.dispose()
    text = f"{refused.value!r}\n{refused.value}"
    assert "Connection refused" in text
    for secret in (PASSWORD, SECRET_KEY):
        assert secret not in text


def test_a_local_source_is_refused_before_anything_is_sent(tmp_path: Path) -> None:
    warehouse = connect(block=redshift_block(host="127.0.0.1", port=9, iam_role_arn=ROLE))
    staging = sa.Table("staging_songs_x", sa.MetaData(), sa.Column("song_id", sa.String))
    with pytest.raises(SourceError, match="Give an s3://bucket/prefix source"):
        warehouse.stage_songs(staging, LocalSource(tmp_path), [SourceObject("song_data/A/TRA.json", "")])


def test_the_cli_plans_redshift_with_only_sql_on_stdout() -> None:
    env = {
        **os.environ,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "SPARKIFY_COPY_IAM_ROLE": ROLE,
        "SPARKIFY_COPY_REGION": "us-west-2",
        "SPARKIFY_COPY_MAX_ERROR": "3",
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "flows.etl",
            "plan",
            "--source",
            SOURCE,
            "--warehouse",
            f"redshift+redshift_connector://etl:{PASSWORD}@cluster.example:5439/dev",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    sql_lines = [line for line in result.stdout.splitlines() if line.strip() and not line.startswith("--")]
    statements = [s for s in "\n".join(sql_lines).split(";\n") if s.strip()]
    assert sql_lines[-1].endswith(";")
    parsed = [parse(statement.removesuffix(";")) for statement in statements]
    copies_ = [p for p in parsed if isinstance(p, exp.Copy)]
    assert len(copies_) == 2
    assert all("MAXERROR AS 4" in " ".join(s.split()) for s in statements if s.startswith("COPY"))
    assert "INFO sparkify.plan: planned" in result.stderr
    assert PASSWORD not in result.stdout + result.stderr


SERVERLESS_HOST = "sparkify.123456789012.us-west-2.redshift-serverless.amazonaws.com"
LOAD_ERROR_VIEWS = {"stl_load_errors", "sys_load_error_detail"}


def load_error_reads(planned: Plan) -> list[Statement]:
    """The statement after each COPY (and a lock) that reads its load errors back: the events' INSERT them into
    rejected_records; the catalog's parts' SELECT them, for the flow to name each one's song file."""
    statements = planned.statements
    reads = [
        next(read for read in statements[index + 1 :] if "load_error" in read.sql.lower())
        for index, statement in enumerate(statements)
        if statement.sql.startswith("COPY ")
    ]
    assert len(reads) == 2
    return reads


@pytest.mark.parametrize(
    ("host", "serverless"),
    [
        ("sparkify.abc123.us-west-2.redshift.amazonaws.com", None),
        (SERVERLESS_HOST, None),
        ("WG.123456789012.CN-NORTH-1.REDSHIFT-SERVERLESS.AMAZONAWS.COM.CN.", None),
        ("warehouse.internal.example", True),
        (SERVERLESS_HOST, False),
    ],
)
def test_each_copy_reads_its_load_errors_from_sys_load_error_detail_on_every_kind_of_redshift(
    host: str, serverless: bool | None
) -> None:
    """STL_LOAD_ERRORS misses COPYs run on concurrency-scaling clusters and does not exist on Serverless."""
    planned = plan(SOURCE, block=redshift_block(iam_role_arn=ROLE, host=host, serverless=serverless))
    events, songs = load_error_reads(planned)
    parsed = parse(events.sql)
    assert isinstance(parsed, exp.Insert) and parsed.this.this.name == "rejected_records"
    assert isinstance(parse(songs.sql), exp.Select)
    for read in (events, songs):
        assert {table.name for table in parse(read.sql).find_all(exp.Table)} & LOAD_ERROR_VIEWS == {
            "sys_load_error_detail"
        }


def test_a_url_to_a_serverless_endpoint_is_serverless() -> None:
    url = f"redshift+redshift_connector://etl@{SERVERLESS_HOST}:5439/dev"
    assert connect(url).serverless
    assert not connect("redshift+redshift_connector://etl@cluster.example:5439/dev").serverless


@pytest.mark.parametrize("host", [SERVERLESS_HOST, "sparkify.abc123.us-west-2.redshift.amazonaws.com"])
def test_the_load_errors_read_are_this_sessions_last_copys_since_the_run_started_it(host: str) -> None:
    planned = plan(SOURCE, block=redshift_block(iam_role_arn=ROLE, host=host))
    events, songs = load_error_reads(planned)
    columns = [
        [
            "$2",
            "$3",
            "TRIM(errors.file_name)",
            "CAST(errors.line_number AS INTEGER)",
            "COALESCE(TRIM(errors.column_name), '') || ': ' || COALESCE(TRIM(errors.error_message), 'load error')",
            "NULL",  # SYS_LOAD_ERROR_DETAIL keeps no raw line
            "errors.start_time",
        ],
        [
            "TRIM(errors.file_name) AS part",
            "CAST(errors.line_number AS INTEGER) AS line_number",
            "COALESCE(TRIM(errors.column_name), '') || ': ' || COALESCE(TRIM(errors.error_message), 'load error') "
            "AS reason",
            "NULL AS raw_text",
        ],
    ]
    # the events' errors are inserted with the run and feed as values; the parts' are read back
    for read, selected in zip((events, songs), columns, strict=True):
        sent = re.sub(r" /\* .*? \*/", "", read.sql)  # as sent: the plan shows each bound value in a comment
        select = parse(sent).expression if read is events else parse(sent)
        assert [column.sql("redshift") for column in select.expressions] == selected
        (this_copy,) = parse(sent).find_all(exp.CTE)
        assert this_copy.alias == "this_copy"
        # this session's latest COPY since the run started it: a session id is reused only by later sessions
        assert this_copy.this.sql("redshift") == (
            "SELECT query_id, transaction_id FROM sys_load_history "
            "WHERE session_id = PG_BACKEND_PID() AND start_time >= $1 ORDER BY start_time DESC LIMIT 1"
        )
        (join,) = select.args["joins"]
        assert join.args["on"].sql("redshift") == (
            "errors.query_id = this_copy.query_id AND errors.transaction_id = this_copy.transaction_id"
        )
        # the COPY's own errors, whatever objects its manifest listed; the values travel as parameters
        assert select.args.get("where") is None
        started, *values = read.driver_parameters
        assert isinstance(started, datetime) and tuple(values) == (("plan", "events") if read is events else ())


def test_the_load_error_read_back_compiles_with_the_redshift_dialect() -> None:
    warehouse = connect(block=redshift_block(iam_role_arn=ROLE, host=SERVERLESS_HOST))
    assert isinstance(warehouse.engine.dialect, RedshiftDialect_redshift_connector)
    statement = warehouse.statement("rejects/copy_errors").bindparams(
        run_key="20181101t0000", feed="events", copy_started_at=datetime(2018, 11, 1)
    )
    compiled = statement.compile(dialect=warehouse.engine.dialect)
    # values travel as the driver's parameters, in the order its positional placeholders take them
    assert compiled.positiontup == ["copy_started_at", "run_key", "feed"]
    assert compiled.string.count("%s") == 3
    literal = str(statement.compile(dialect=warehouse.engine.dialect, compile_kwargs={"literal_binds": True}))
    parsed = parse(literal)
    assert isinstance(parsed, exp.Insert) and parsed.this.this.name == "rejected_records"
    assert parsed.find(exp.Join).this.name == "this_copy"


def test_the_manifest_prefix_comes_from_the_block_else_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPARKIFY_MANIFEST_PREFIX", "s3://sparkify-ops/manifests")
    from_env = copies(plan(SOURCE, block=redshift_block(iam_role_arn=ROLE)))
    assert all(" FROM 's3://sparkify-ops/manifests/plan/" in copy for copy in from_env)
    from_block = copies(plan(SOURCE, block=redshift_block(iam_role_arn=ROLE, manifest_prefix="s3://ops/copy/")))
    assert [copy.split("'")[1] for copy in from_block] == [
        "s3://ops/copy/plan/events.manifest",
        "s3://ops/copy/plan/songs.manifest",
    ]
    with pytest.raises(CopyConfigError, match="manifest_prefix, or SPARKIFY_MANIFEST_PREFIX"):
        plan(SOURCE, block=redshift_block(iam_role_arn=ROLE, manifest_prefix="/tmp/manifests"))
