"""Proof that the real services of bench/services.py start and work."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import pytest
from sqlalchemy import create_engine, make_url, text

from bench.services import (
    PostgresServer,
    PrefectServer,
    S3Server,
    http_get,
    http_post,
    s3_client,
    s3_env,
    upload_tree,
)

# --------------------------------------------------------------------- PostgreSQL


def test_postgres_answers_version(postgres: PostgresServer) -> None:
    """The session server is a real PostgreSQL 15, reached via SQLAlchemy + psycopg."""
    engine = create_engine(postgres.url)
    try:
        with engine.connect() as conn:
            version = conn.execute(text("select version()")).scalar_one()
            addr = conn.execute(text("select inet_server_addr()::text")).scalar_one()
    finally:
        engine.dispose()
    assert engine.dialect.driver == "psycopg"
    assert "PostgreSQL 15" in version
    assert addr.startswith("127.0.0.1")


_seen_databases: set[str] = set()


@pytest.mark.parametrize("run", [1, 2])
def test_pg_url_gives_a_fresh_distinct_database(pg_url: str, run: int) -> None:
    """Each test gets its own empty database; nothing leaks from another test's one."""
    engine = create_engine(pg_url)
    try:
        with engine.begin() as conn:
            current = conn.execute(text("select current_database()")).scalar_one()
            tables = conn.execute(
                text("select count(*) from information_schema.tables where table_schema = 'public'")
            ).scalar_one()
            conn.execute(text("create table marker (run int)"))
            conn.execute(text("insert into marker values (:run)"), {"run": run})
    finally:
        engine.dispose()
    assert current == make_url(pg_url).database
    assert current != "postgres"
    assert tables == 0, "a fresh database must have no tables"
    assert current not in _seen_databases
    _seen_databases.add(current)


# ----------------------------------------------------------------------------- S3


def test_s3_round_trip_via_env_endpoint(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> None:
    """boto3 finds the moto server through AWS_ENDPOINT_URL alone (no endpoint arg)."""
    for key, value in s3_env(s3_server).items():
        monkeypatch.setenv(key, value)
    client = boto3.session.Session().client("s3")
    assert client.meta.endpoint_url == s3_server.endpoint_url

    bucket = f"roundtrip-{uuid.uuid4().hex[:8]}"
    client.create_bucket(Bucket=bucket)
    body = b'{"song_id": "SOABC", "title": "caf\xc3\xa9"}\n'
    client.put_object(Bucket=bucket, Key="song_data/A/B/C/song.json", Body=body)
    got = client.get_object(Bucket=bucket, Key="song_data/A/B/C/song.json")
    assert got["Body"].read() == body
    assert got["ContentLength"] == len(body)


def test_s3_listing_more_than_1000_objects_pages(s3_server: S3Server) -> None:
    """list_objects_v2 pages at 1000 keys and the paginator sees all 1005."""
    client = s3_client(s3_server)
    bucket = f"paging-{uuid.uuid4().hex[:8]}"
    client.create_bucket(Bucket=bucket)
    keys = [f"log_data/{i:05d}.json" for i in range(1005)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda k: client.put_object(Bucket=bucket, Key=k, Body=b"{}"), keys))

    pages = list(client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="log_data/"))
    listed = [obj["Key"] for page in pages for obj in page.get("Contents", [])]
    assert len(pages) == 2
    assert [page["KeyCount"] for page in pages] == [1000, 5]
    assert len(listed) == 1005
    assert sorted(listed) == keys


def test_upload_tree_keeps_relative_paths(s3_server: S3Server, tmp_path: Path) -> None:
    """upload_tree creates the bucket and mirrors the local tree under the prefix."""
    files = {
        "song_data/A/A/A/TRAAAAW128F429D538.json": b'{"song_id": "S1"}',
        "log_data/2018/11/2018-11-01-events.json": b'{"ts": 1}\n{"ts": 2}\n',
        "top.txt": b"x",
    }
    for rel, data in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    bucket = f"tree-{uuid.uuid4().hex[:8]}"
    keys = upload_tree(s3_server, bucket, "raw/", tmp_path)
    assert keys == sorted(f"raw/{rel}" for rel in files)
    assert upload_tree(s3_server, bucket, "", tmp_path) == sorted(files)  # bucket exists already

    client = s3_client(s3_server)
    for rel, data in files.items():
        assert client.get_object(Bucket=bucket, Key=f"raw/{rel}")["Body"].read() == data


# ------------------------------------------------------------------------ Prefect


def test_prefect_health_and_ui(prefect_api: PrefectServer) -> None:
    """The API health endpoint and the UI root both answer 200."""
    status, body = http_get(f"{prefect_api.api_url}/health")
    assert status == 200
    assert json.loads(body) is True

    status, body = http_get(prefect_api.ui_url)
    assert status == 200
    assert b"<html" in body.lower()


def test_prefect_client_env_runs_a_flow(prefect_api: PrefectServer) -> None:
    """A process given ``prefect_api.env`` records its flow run on this server."""
    flow_name = f"services-smoke-{uuid.uuid4().hex[:8]}"
    script = textwrap.dedent(
        f"""
        from prefect import flow

        @flow(name={flow_name!r})
        def smoke() -> int:
            return 42

        assert smoke() == 42
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(prefect_api.env)
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    status, body = http_post(
        f"{prefect_api.api_url}/flow_runs/filter",
        {"flows": {"name": {"any_": [flow_name]}}},
    )
    assert status == 200, body[:500]
    runs = json.loads(body)
    assert len(runs) == 1
    assert runs[0]["state_type"] == "COMPLETED"
