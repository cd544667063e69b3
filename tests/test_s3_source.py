"""Sources in S3: a real moto server on loopback, reached through prefect-aws like AWS itself."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from prefect_aws import AwsCredentials, S3Bucket
from prefect_aws.client_parameters import AwsClientParameters

from bench.services import LOOPBACK, NO_PROXY, S3Server, s3_client, upload_tree
from flows.etl.flow import sparkify_etl
from sparkify.sources import SourceError, open_source
from sparkify.window import Window
from tests.support.helpers import duckdb_url, star_contents
from tests.support.samples import EVENTS, new_bucket, use_s3, write_feeds


def test_a_run_from_s3_loads_what_the_same_folder_loads(
    tmp_path: Path, s3_server: S3Server, monkeypatch: pytest.MonkeyPatch, prefect_harness: None
) -> None:
    root = write_feeds(tmp_path / "source")
    use_s3(s3_server, monkeypatch)
    bucket = new_bucket()
    upload_tree(s3_server, bucket, "raw/sparkify", root)

    from_s3 = sparkify_etl(source=f"s3://{bucket}/raw/sparkify/", warehouse=duckdb_url(tmp_path / "s3"))
    from_folder = sparkify_etl(source=str(root), warehouse=duckdb_url(tmp_path / "folder"))

    assert from_s3 == from_folder
    assert from_s3.staged_events == len(EVENTS)
    assert star_contents(duckdb_url(tmp_path / "s3")) == star_contents(duckdb_url(tmp_path / "folder"))


def test_a_window_lists_only_the_day_files_it_needs(
    tmp_path: Path, s3_server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_s3(s3_server, monkeypatch)
    bucket = new_bucket()
    upload_tree(s3_server, bucket, "", write_feeds(tmp_path / "source"))
    source = open_source(f"s3://{bucket}")

    assert source.event_keys(Window(datetime(2018, 11, 2), datetime(2018, 12, 2))) == [
        "log_data/2018/11/2018-11-02-events.json",
        "log_data/2018/12/2018-12-01-events.json",
    ]
    assert len(source.event_keys(Window.everything())) == 3
    assert source.object_url("log_data/2018/11/") == f"s3://{bucket}/log_data/2018/11/"


def test_listing_pages_past_1000_objects(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> None:
    use_s3(s3_server, monkeypatch)
    bucket = new_bucket()
    client = s3_client(s3_server)
    client.create_bucket(Bucket=bucket)
    keys = [f"feeds/song_data/A/B/C/TRA{index:06d}.json" for index in range(1001)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda key: client.put_object(Bucket=bucket, Key=key, Body=b"{}"), keys))

    first_page = client.list_objects_v2(Bucket=bucket, Prefix="feeds/song_data/")
    assert first_page["IsTruncated"], "one page must not hold them all, or this proves nothing"
    assert open_source(f"s3://{bucket}/feeds").song_keys() == [key.removeprefix("feeds/") for key in keys]


def test_local_copies_for_duckdb_are_deleted_afterwards(
    tmp_path: Path, s3_server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_feeds(tmp_path / "source")
    use_s3(s3_server, monkeypatch)
    bucket = new_bucket()
    upload_tree(s3_server, bucket, "raw", root)
    source = open_source(f"s3://{bucket}/raw")
    keys = source.song_keys()

    with source.local_files(keys) as paths:
        assert [path.read_bytes() for path in paths] == [(root / key).read_bytes() for key in keys]
    assert not any(path.exists() for path in paths)


def test_a_named_s3_block_supplies_credentials_and_endpoint(
    tmp_path: Path, s3_server: S3Server, monkeypatch: pytest.MonkeyPatch, prefect_harness: None
) -> None:
    # nothing in the environment: only the block knows how to reach the bucket
    for name in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", NO_PROXY)
    bucket = new_bucket()
    upload_tree(s3_server, bucket, "", write_feeds(tmp_path / "source"))
    block = f"sparkify-{bucket}"
    S3Bucket(
        bucket_name=bucket,
        credentials=AwsCredentials(
            aws_access_key_id=s3_server.access_key_id,
            aws_secret_access_key=s3_server.secret_access_key,
            region_name=s3_server.region,
            aws_client_parameters=AwsClientParameters(endpoint_url=s3_server.endpoint_url),
        ),
    ).save(block)

    summary = sparkify_etl(source=f"s3://{bucket}", warehouse=duckdb_url(tmp_path), s3_block=block)

    assert summary.staged_events == len(EVENTS)
    with pytest.raises(SourceError, match=f"is for bucket '{bucket}'"):
        open_source("s3://another-bucket/raw", s3_block=block)


class _FlakyS3(BaseHTTPRequestHandler):
    """Answers SlowDown, then InternalError, then the object: what S3 does under load."""

    answers: ClassVar = [
        (503, b"<Error><Code>SlowDown</Code></Error>"),
        (500, b"<Error><Code>InternalError</Code></Error>"),
    ]
    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.requests.append(self.path)
        status, body = self.answers[len(self.requests) - 1] if len(self.requests) <= 2 else (200, b'{"ok": 1}')
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def flaky_s3() -> Iterator[str]:
    server = ThreadingHTTPServer((LOOPBACK, 0), _FlakyS3)
    _FlakyS3.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://{LOOPBACK}:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_throttled_and_failed_requests_are_retried_by_the_client(
    flaky_s3: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", flaky_s3)
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("NO_PROXY", NO_PROXY)
    # the environment says never retry: the client's own retry settings must be what wins
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")

    with open_source("s3://busy-bucket/raw").open("song_data/A/TRA.json") as body:
        assert body.read() == b'{"ok": 1}'
    assert _FlakyS3.requests == ["/busy-bucket/raw/song_data/A/TRA.json"] * 3


def test_a_source_is_refused_when_its_options_cannot_apply(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="unknown events format 'xml'"):
        open_source(str(tmp_path), events_format="xml")
    with pytest.raises(SourceError, match="S3 block 'prod' given for the local source"):
        open_source(str(tmp_path), s3_block="prod")
    with pytest.raises(SourceError, match="names no bucket"):
        open_source("s3:///raw")
