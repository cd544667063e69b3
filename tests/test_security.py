"""Secrets stay in blocks and the environment; identifiers are checked and quoted, values bound.

A run with known secrets (a PostgreSQL password in a warehouse block, AWS secret
keys in an S3 block and in the environment), one that fails, and a plan: none
of them may show a secret anywhere it can be read back (the CLI's output, the
Prefect server's logs, artifacts, run states and parameters, exception texts).
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml
from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect_aws import AwsCredentials, S3Bucket
from prefect_aws.client_parameters import AwsClientParameters
from sqlalchemy.engine import make_url

from bench.services import PostgresServer, PrefectServer, S3Server, upload_tree
from sparkify import sql
from sparkify.blocks import WarehouseConnection
from sparkify.sample import GeneratorConfig, generate
from sparkify.warehouse import connect
from tests.support import flow_runs
from tests.support.helpers import password_login, rows

PG_PASSWORD = "Pg-Secret-" + uuid.uuid4().hex
AWS_SECRET_IN_BLOCK = "AwsBlockSecret/" + uuid.uuid4().hex
AWS_SECRET_IN_ENV = "AwsEnvSecret+" + uuid.uuid4().hex
SECRETS = (PG_PASSWORD, AWS_SECRET_IN_BLOCK, AWS_SECRET_IN_ENV)


def everything_the_server_kept(server: PrefectServer, since: str) -> str:
    """Logs, artifacts, flow and task runs (parameters, state messages) since ``since``, as text."""
    kept = []
    for path, key, filters in (
        ("/logs/filter", "logs", {"timestamp": {"after_": since}}),
        ("/artifacts/filter", "artifacts", {}),
        ("/flow_runs/filter", "flow_runs", {"start_time": {"after_": since}}),
        ("/task_runs/filter", "task_runs", {"start_time": {"after_": since}}),
    ):
        offset = 0
        while page := flow_runs.api(server, path, {key: filters, "limit": 200, "offset": offset}):
            kept.extend(page)
            offset += len(page)
    assert len(kept) > 20, "the server kept nothing: the scan would prove nothing"
    return json.dumps(kept)


def test_known_secrets_appear_in_nothing_a_run_a_failed_run_or_a_plan_leaves(
    tmp_path: Path, pg_url: str, s3_server: S3Server, prefect_api: PrefectServer
) -> None:
    source = generate(tmp_path / "source", GeneratorConfig(events=500, songs=50, users=10, days=1)).root
    bucket = f"secret-{uuid.uuid4().hex[:12]}"
    upload_tree(s3_server, bucket, "feeds", source)
    url = make_url(pg_url)
    role = f"etl_{uuid.uuid4().hex[:8]}"
    # the test server trusts loopback logins, so the password is not checked; it still travels every code path
    with psycopg.connect(url.set(drivername="postgresql").render_as_string(), autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{PG_PASSWORD}'")
        admin.execute(f"GRANT ALL ON SCHEMA public TO {role}")
    login = {"driver": "postgresql+psycopg", "host": url.host, "port": url.port, "user": role}
    aws = AwsCredentials(
        aws_access_key_id="AKIASPARKIFYTESTKEY1",
        aws_secret_access_key=AWS_SECRET_IN_BLOCK,
        region_name=s3_server.region,
        aws_client_parameters=AwsClientParameters(endpoint_url=s3_server.endpoint_url),
    )
    with temporary_settings({PREFECT_API_URL: prefect_api.api_url}):
        WarehouseConnection(**login, database=url.database, password=PG_PASSWORD).save("secret-pg", overwrite=True)
        WarehouseConnection(**login, database="no_such_db", password=PG_PASSWORD).save("secret-bad", overwrite=True)
        S3Bucket(bucket_name=bucket, credentials=aws).save("secret-s3", overwrite=True)
    s3 = ("--source", f"s3://{bucket}/feeds")
    aws_env = {
        "AWS_ENDPOINT_URL": s3_server.endpoint_url,
        "AWS_ACCESS_KEY_ID": "AKIASPARKIFYTESTKEY2",
        "AWS_SECRET_ACCESS_KEY": AWS_SECRET_IN_ENV,
        "AWS_DEFAULT_REGION": s3_server.region,
    }

    since = flow_runs.now()
    seen = list(
        flow_runs.finish(flow_runs.start(prefect_api, *s3, "--s3-block", "secret-s3", "--warehouse-block", "secret-pg"))
    )
    assert connect(block=_load(prefect_api, "secret-pg")).row_count("songplays") > 0
    # the environment's AWS keys, and a warehouse that refuses the login: the run fails, saying why
    failed = flow_runs.start(prefect_api, *s3, "--warehouse-block", "secret-bad", **aws_env)
    stdout, stderr = failed.communicate(timeout=flow_runs.RUN_TIMEOUT_S)
    assert failed.returncode != 0 and "no_such_db" in stderr
    seen += [stdout, stderr]
    planned = flow_runs.start(prefect_api, "plan", *s3, "--warehouse-block", "secret-pg", **aws_env)
    seen += list(flow_runs.finish(planned))
    assert "INSERT INTO songplays" in seen[-2]
    seen.append(everything_the_server_kept(prefect_api, since))
    with pytest.raises(Exception) as refused:  # whatever the driver raises: its text is what matters
        connect(block=_load(prefect_api, "secret-bad")).row_count("songplays")
    seen += [str(refused.value), repr(refused.value), repr(_load(prefect_api, "secret-pg"))]

    text = "\n".join(seen)
    for secret in SECRETS:
        assert secret not in text


def _load(server: PrefectServer, name: str) -> WarehouseConnection:
    with temporary_settings({PREFECT_API_URL: server.api_url}):
        return WarehouseConnection.load(name)


def test_prefect_yaml_holds_no_secret() -> None:
    """Deployments name blocks; a password, key or token among their parameters would be stored in the clear."""
    deployments = yaml.safe_load((flow_runs.REPO / "prefect.yaml").read_text(encoding="utf-8"))["deployments"]

    def keys(value: Any) -> list[str]:
        if isinstance(value, dict):
            return [*value, *(k for v in value.values() for k in keys(v))]
        if isinstance(value, list):
            return [k for v in value for k in keys(v)]
        return []

    assert deployments
    assert not [key for key in keys(deployments) if re.search(r"password|secret|token|access_key", key, re.I)]
    assert not re.search(r"://[^/\s:@]+:[^/\s@]+@", (flow_runs.REPO / "prefect.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "name",
    ['users"; DROP TABLE songplays; --', "Users", "staging events", "1users", "a" * 64, "", "public.users"],
)
def test_an_identifier_that_is_not_a_plain_lower_case_name_is_refused_before_any_sql(name: str) -> None:
    warehouse = connect("postgresql+psycopg://nobody@127.0.0.1:9/nowhere")  # never connected to
    with pytest.raises(sql.SqlTemplateError, match="unsafe SQL identifier"):
        warehouse.statement("checks/table/row_count", {"table": name})


def test_identifiers_are_quoted_and_values_stay_bind_parameters() -> None:
    warehouse = connect("postgresql+psycopg://nobody@127.0.0.1:9/nowhere")
    # a reserved word is a legal table name only once quoted
    assert 'FROM "user"' in str(warehouse.statement("checks/table/row_count", {"table": "user"}))
    statement = warehouse.statement("publish/songplays/01_delete_replaced")
    assert set(statement.compile().params) == {"part_start", "part_end"}


def test_a_password_given_in_warehouse_is_moved_out_of_the_flow_runs_parameters(
    tmp_path: Path, postgres: PostgresServer, pg_url: str, prefect_api: PrefectServer
) -> None:
    """The command line takes the password out of the URL: the run logs in with it (the server asks for it), and it
    is in no stored parameter, log, artifact or output."""
    source = generate(tmp_path / "source", GeneratorConfig(events=300, songs=20, users=5, days=1)).root
    with password_login(postgres, pg_url) as (user, password):
        url = make_url(pg_url).set(username=user, password=password).render_as_string(hide_password=False)
        since = flow_runs.now()
        stdout, stderr = flow_runs.finish(flow_runs.start(prefect_api, "--source", str(source), "--warehouse", url))
        assert "sparkify-etl succeeded" in stdout
        assert rows(url, "SELECT COUNT(*) FROM songplays")[0][0] > 0
    since_then = flow_runs.api(prefect_api, "/flow_runs/filter", {"flow_runs": {"start_time": {"after_": since}}})
    [run] = [run for run in since_then if run["parameters"].get("source") == str(source)]  # the server is shared
    assert run["parameters"]["warehouse"] == make_url(pg_url).set(username=user).render_as_string()
    assert password not in "\n".join([stdout, stderr, everything_the_server_kept(prefect_api, since)])
