"""The WarehouseConnection block: registered with Prefect's CLI on a real server, saved, loaded, never shown.

CLI and client calls run as subprocesses with the server's client environment,
as an operator would run them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bench.services import PrefectServer, http_get
from flows.etl.flow import sparkify_etl
from sparkify.blocks import WarehouseConnection
from sparkify.warehouse import connect
from sparkify.warehouse.duckdb import DuckDBWarehouse
from tests.support.factories import event, song, write_source
from tests.support.helpers import rows

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "Pw-Never-Shown-7f3a"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
ROLE = "arn:aws:iam::123456789012:role/sparkify-redshift-copy"


def client_env(server: PrefectServer) -> dict[str, str]:
    """This process's environment pointed at the test server instead of any other Prefect API."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}, **server.env}


def run(server: PrefectServer, *argv: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, *argv],
        cwd=REPO,
        env=client_env(server),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, f"{argv} failed:\n{result.stdout}\n{result.stderr}"
    return result


def python(server: PrefectServer, code: str) -> subprocess.CompletedProcess[str]:
    return run(server, "-c", textwrap.dedent(code))


@pytest.fixture(scope="module")
def registered(prefect_api: PrefectServer) -> PrefectServer:
    """The block type registered with ``prefect block register -m sparkify.blocks``, as documented."""
    result = run(prefect_api, "-m", "prefect", "block", "register", "-m", "sparkify.blocks")
    assert "Sparkify Warehouse Connection" in result.stdout
    return prefect_api


def test_the_block_type_registers_with_its_secrets_declared(registered: PrefectServer) -> None:
    status, body = http_get(f"{registered.api_url}/block_types/slug/sparkify-warehouse-connection")
    assert status == 200, body
    assert json.loads(body)["name"] == "Sparkify Warehouse Connection"
    result = python(
        registered,
        """
        from prefect.client.orchestration import get_client
        with get_client(sync_client=True) as client:
            schema = client.get_most_recent_block_schema_for_block_type(
                client.read_block_type_by_slug("sparkify-warehouse-connection").id
            )
        print(sorted(schema.fields["secret_fields"]))
        """,
    )
    assert result.stdout.strip() == "['aws_credentials.aws_secret_access_key', 'password']"


def test_a_saved_block_reaches_redshift_through_redshift_connector_and_hides_its_secrets(
    registered: PrefectServer,
) -> None:
    python(
        registered,
        f"""
        from prefect_aws import AwsCredentials
        from sparkify.blocks import WarehouseConnection
        WarehouseConnection(
            driver="redshift+redshift_connector", host="cluster.example", port=5439, database="dev", user="etl",
            password="{PASSWORD}", iam_role_arn="{ROLE}", region="us-west-2",
            aws_credentials=AwsCredentials(aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
                                           aws_secret_access_key="{SECRET_KEY}"),
        ).save("sparkify-prod", overwrite=True)
        """,
    )
    loaded = python(
        registered,
        """
        from sparkify.blocks import WarehouseConnection
        from sparkify.warehouse import connect
        warehouse = connect(block="sparkify-prod")
        print(warehouse.engine.dialect.driver, warehouse.engine.url.password == WarehouseConnection.load(
            "sparkify-prod").password.get_secret_value())
        print(repr(warehouse), repr(WarehouseConnection.load("sparkify-prod")))
        """,
    )
    assert loaded.stdout.splitlines()[0] == "redshift_connector True"

    plan = run(
        registered, "-m", "flows.etl", "plan", "--source", "s3://udacity-dend", "--warehouse-block", "sparkify-prod"
    )
    assert f"IAM_ROLE '{ROLE}'" in plan.stdout
    assert "FROM 's3://udacity-dend/manifests/plan/events.manifest'" in plan.stdout
    for secret in (PASSWORD, SECRET_KEY):
        assert secret not in loaded.stdout + loaded.stderr + plan.stdout + plan.stderr


def test_the_server_returns_the_secrets_obfuscated(registered: PrefectServer) -> None:
    python(
        registered,
        f"""
        from sparkify.blocks import WarehouseConnection
        WarehouseConnection(driver="postgresql+psycopg", host="db.example", database="sparkify", user="etl",
                            password="{PASSWORD}").save("sparkify-pg", overwrite=True)
        """,
    )
    shown = python(
        registered,
        """
        from prefect.client.orchestration import get_client
        with get_client(sync_client=True) as client:
            document = client.read_block_document_by_name("sparkify-pg", "sparkify-warehouse-connection",
                                                          include_secrets=False)
        print(document.data)
        """,
    )
    assert PASSWORD not in shown.stdout
    assert "'password': '********'" in shown.stdout


def test_a_url_without_a_password_builds_from_a_block_for_local_use(tmp_path: Path) -> None:
    block = WarehouseConnection(database=str(tmp_path / "warehouse.duckdb"))
    assert block.url().render_as_string(hide_password=False) == f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    assert isinstance(connect(block=block), DuckDBWarehouse)


@pytest.mark.usefixtures("prefect_harness")
def test_the_flow_loads_the_warehouse_its_block_names(tmp_path: Path) -> None:
    source = write_source(
        tmp_path / "source",
        [event("2018-11-01T10:00:00.100")],
        [song("SOX", "You Gotta Be", artist_id="ARX", artist_name="Des'ree", duration=246.30812)],
    )
    database = tmp_path / "from-block.duckdb"
    WarehouseConnection(database=str(database)).save("sparkify-local", overwrite=True)
    ignored = tmp_path / "ignored.duckdb"
    summary = sparkify_etl(source=str(source), warehouse=f"duckdb:///{ignored}", warehouse_block="sparkify-local")
    assert summary.songplays_loaded == 1
    assert rows(f"duckdb:///{database}", "SELECT song_id FROM songplays") == [("SOX",)]
    assert not ignored.exists()
