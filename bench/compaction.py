"""Issue 18's benchmark: the catalog compacted for Redshift's COPY, from moto's S3 server.

``python -m bench.compaction`` uploads small song objects (10,000 and 100,000 by default, written by
``sparkify.sample``) to moto's S3 server, run in a process of its own on 127.0.0.1, and times what a
Redshift run's stage-songs does before its COPY: list the catalog (ListObjectsV2), GET every object
(``S3_DOWNLOAD_THREADS`` in flight), screen each by ``sparkify.records``, write the good records as gzip
parts (as many as a multiple of ``--slices``) and PUT them: the very function the warehouse calls
(``sparkify.warehouse.compaction.compact_songs``). It states the objects the songs COPY reads before (one
per song file) and after (the parts), and writes ``bench/results/compaction.md`` and ``.json``.

moto runs in a process of its own (``moto.server.ThreadedMotoServer``), as S3 is elsewhere: its work
does not share this process's interpreter lock, and the figures are this process's. moto answers a
request in milliseconds of Python where S3 answers a small GET in tens of milliseconds of latency, so
the GETs' share of the time differs from S3's; it is given apart.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import platform
import shutil
import socket
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import botocore.config

from sparkify.sample import GeneratorConfig, generate
from sparkify.sources import S3_DOWNLOAD_THREADS, S3Source, open_source
from sparkify.warehouse.compaction import PART_BYTES, compact_songs, delete_parts

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
LOOPBACK = "127.0.0.1"
#: Slices of the cluster the issue names: 4 dc2.large nodes of 2 slices each.
DEFAULT_SLICES = 8
#: PUTs in flight while uploading the catalog: setup, not measured.
UPLOAD_THREADS = 16
#: Throw-away credentials moto accepts; nothing here reaches AWS.
FAKE_KEYS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def _serve_moto(port: int) -> None:
    """The child process: moto's S3 server until it is terminated."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    from moto.server import ThreadedMotoServer

    ThreadedMotoServer(ip_address=LOOPBACK, port=port, verbose=False).start()
    while True:
        time.sleep(3600)


@contextmanager
def moto_server(timeout: float = 60.0) -> Iterator[str]:
    """moto's S3 server in a process of its own on a free loopback port; its endpoint URL."""
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        port = probe.getsockname()[1]
    process = multiprocessing.get_context("spawn").Process(target=_serve_moto, args=(port,), daemon=True)
    process.start()
    endpoint = f"http://{LOOPBACK}:{port}"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                opener.open(endpoint, timeout=1).close()
                break
            except (urllib.error.URLError, OSError):
                if time.monotonic() > deadline or not process.is_alive():
                    raise RuntimeError(f"moto's server did not answer at {endpoint} within {timeout:.0f} s") from None
                time.sleep(0.1)
        yield endpoint
    finally:
        process.terminate()
        process.join(10)


@contextmanager
def pointed_at(endpoint: str) -> Iterator[None]:
    """This process's AWS chain pointed at moto (how the flow's S3 source reaches it in the tests too), then back."""
    values = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "NO_PROXY": f"{LOOPBACK},localhost",
        "no_proxy": f"{LOOPBACK},localhost",
        **FAKE_KEYS,
    }
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def upload(source: S3Source, root: Path) -> tuple[int, int, float]:
    """Every song file under ``root`` into the source's bucket; its count, bytes and the seconds it took."""
    files = sorted((root / "song_data").rglob("*.json"))
    client = boto3.client("s3", config=botocore.config.Config(max_pool_connections=UPLOAD_THREADS))
    bucket = source.bucket.bucket_name
    client.create_bucket(Bucket=bucket)
    started = time.perf_counter()

    def put(path: Path) -> int:
        body = path.read_bytes()
        client.put_object(Bucket=bucket, Key=path.relative_to(root).as_posix(), Body=body)
        return len(body)

    with ThreadPoolExecutor(UPLOAD_THREADS) as pool:
        size = sum(pool.map(put, files))
    return len(files), size, time.perf_counter() - started


@dataclass
class Timed:
    """The source as the compaction uses it, timing what it waits for: the GETs, and the parts' PUTs."""

    source: S3Source
    waiting: float = 0.0
    putting: float = 0.0
    part_bytes: int = 0

    @property
    def uri(self) -> str:
        return self.source.uri

    def fetch_all(self, keys: Iterable[str]) -> Iterator[tuple[str, bytes, datetime | None]]:
        fetched = self.source.fetch_all(keys)
        while True:
            started = time.perf_counter()
            item = next(fetched, None)
            self.waiting += time.perf_counter() - started
            if item is None:
                return
            yield item

    def write_url(self, url: str, body: bytes) -> None:
        started = time.perf_counter()
        self.source.write_url(url, body)
        self.putting += time.perf_counter() - started
        self.part_bytes += len(body)

    def delete_url(self, url: str) -> None:
        self.source.delete_url(url)


def measure(songs: int, slices: int, work: Path) -> dict[str, Any]:
    """One catalog of ``songs`` files: uploaded, then listed and compacted, each timed."""
    root = work / f"songs-{songs}"
    shutil.rmtree(root, ignore_errors=True)
    generate(root, GeneratorConfig(events=0, songs=songs, users=1, days=1))
    bucket = f"bench-compaction-{songs}-{int(time.time())}"
    source = open_source(f"s3://{bucket}")
    assert isinstance(source, S3Source)
    objects, size, upload_seconds = upload(source, root)
    print(
        f"  {songs:,} songs: uploaded {objects:,} objects ({size / 1e6:.1f} MB) in {upload_seconds:.1f} s", flush=True
    )

    started = time.perf_counter()
    keys = [song.key for song in source.song_objects()]
    listed = time.perf_counter() - started

    timed = Timed(source)
    cpu, started = time.process_time(), time.perf_counter()
    compacted = compact_songs(timed, keys, f"s3://{bucket}/manifests/bench/songs", slices)
    compact_seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    delete_parts(source, compacted.parts)
    shutil.rmtree(root, ignore_errors=True)
    total = listed + compact_seconds
    print(
        f"  {songs:,} songs: listed in {listed:.2f} s, compacted in {compact_seconds:.2f} s "
        f"({len(keys) / compact_seconds:,.0f} objects/s) into {len(compacted.parts)} parts",
        flush=True,
    )
    return {
        "songs": songs,
        "objects": objects,
        "source_bytes": size,
        "upload_seconds": upload_seconds,
        "list_seconds": listed,
        "compact_seconds": compact_seconds,
        "total_seconds": total,
        "objects_per_second": len(keys) / total,
        "compact_cpu_seconds": cpu_seconds,
        "get_wait_seconds": timed.waiting,
        "put_seconds": timed.putting,
        "screen_and_gzip_seconds": compact_seconds - timed.waiting - timed.putting,
        "records": compacted.records,
        "rejected": len(compacted.rejections),
        "parts": len(compacted.parts),
        "part_gzip_bytes": timed.part_bytes,
        "copy_objects_before": objects,
        "copy_objects_after": len(compacted.parts),
    }


def report(figures: dict[str, Any]) -> str:
    parameters = figures["parameters"]
    rows = []
    for run in figures["runs"]:
        songs = run["songs"]
        rows.append(
            f"| {songs:,} | {run['list_seconds']:.2f} s | {run['compact_seconds']:.2f} s "
            f"| **{run['total_seconds']:.2f} s** ({run['objects_per_second']:,.0f} objects/s) "
            f"| {run['get_wait_seconds']:.2f} s / {run['screen_and_gzip_seconds']:.2f} s / {run['put_seconds']:.2f} s "
            f"| {run['compact_cpu_seconds']:.2f} s "
            f"| {run['source_bytes'] / 1e6:.1f} MB → {run['parts']} × "
            f"{run['part_gzip_bytes'] / run['parts'] / 1e3:,.0f} kB gzip "
            f"| **{run['copy_objects_before']:,} → {run['copy_objects_after']}** |"
        )
    return "\n".join(
        [
            "# Compacted catalog loads on Redshift (issue 18)",
            "",
            f"Run {figures['when']} with `python -m bench.compaction` on {figures['machine']}, "
            f"load average {figures['load_average']} at the start; moto's S3 server in a process of its own; "
            f"parts for {parameters['slices']} slices (4 dc2.large), at most {PART_BYTES >> 20} MB each before "
            f"gzip; {parameters['threads']} GETs in flight.",
            "",
            "| song objects | list | compact (GET, screen, gzip, PUT) | list + compact | of which: waiting for GETs "
            "/ screening and gzip / PUT of the parts | CPU time of the compaction | records → parts | "
            "objects the songs COPY reads: before → after |",
            "|---:|---:|---:|---:|---:|---:|---|---:|",
            *rows,
            "",
            "Before, a first load or `--full-refresh` COPYed one S3 object per song file; now the COPY reads the parts "
            "(plus, both times, its manifest). The times are moto's: a GET from S3 in the cluster's region takes tens "
            "of milliseconds of latency rather than moto's milliseconds of Python, so on S3 the waiting for GETs "
            "dominates more, and more GETs in flight would shorten it. moto's listing reads and sorts the whole "
            "bucket for each page of 1,000 keys, so its time grows with the square of the catalog; S3's does not. "
            "The upload, setup rather than measured work, took "
            + ", ".join(f"{run['upload_seconds']:.0f} s ({run['songs']:,})" for run in figures["runs"])
            + ".",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.compaction", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[10_000, 100_000], help="catalog sizes (default: %(default)s)"
    )
    parser.add_argument("--slices", type=int, default=DEFAULT_SLICES, help="the cluster's (default: %(default)s)")
    parser.add_argument("--work", type=Path, default=REPO / "bench" / "work" / "compaction")
    parser.add_argument("--out", type=Path, default=RESULTS / "compaction", help="report path, without suffix")
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    figures: dict[str, Any] = {
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{os.cpu_count()} cores, Python {platform.python_version()}",
        "load_average": ", ".join(f"{value:.1f}" for value in os.getloadavg()),
        "parameters": {"sizes": args.sizes, "slices": args.slices, "threads": S3_DOWNLOAD_THREADS},
        "runs": [],
    }
    with moto_server() as endpoint, pointed_at(endpoint):
        for songs in args.sizes:
            figures["runs"].append(measure(songs, args.slices, args.work))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    args.out.with_suffix(".md").write_text(report(figures), encoding="utf-8")
    print(report(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
