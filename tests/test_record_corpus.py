"""Every rule for raw records and whole files, on every engine: one table of awkward inputs, judged alike.

The corpus holds a day file of bad lines among good ones (the rules of ``sparkify/records.py``, those of
``tests/test_bad_records.py`` included) and one day file per whole-file rule. DuckDB and the session's real
PostgreSQL stage it; both must reject the very same records and files, with the same object, line and reason,
and stage every good record. Redshift is judged in the two halves that run here: its screening SQL after
COPY (``sql/redshift/screen/``, on the real PostgreSQL server, as ``tests/test_redshift_screening.py`` runs it)
must give the other engines' reasons for the records COPY lets through, and its staging through the wire
(moto's S3, ``tests/support/redshift_wire.py``) must reject the same files whole, copy gzip files with GZIP and read a
file with a byte-order mark from a copy without it. What COPY itself refuses (malformed JSON ...) is its own
load error, read back from its log, and is not compared here.
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy_redshift.dialect import RedshiftDialect_redshift_connector

from bench.services import S3Server, s3_client, upload_tree
from sparkify import records, schema, sql
from sparkify.records import Staged
from sparkify.run import LoadRun
from sparkify.sources import LocalSource, open_source
from sparkify.warehouse import connect
from sparkify.warehouse.redshift import (
    SCREENING,
    CopyOptions,
    RedshiftWarehouse,
    screened_staging,
    screening_params,
)
from sparkify.window import Window
from tests.support.factories import event, write_source
from tests.support.helpers import duckdb_url, rows
from tests.support.redshift_wire import RecordingRedshift, redirected, statement_text
from tests.support.samples import new_bucket, use_s3
from tests.test_bad_records import BAD_LINES
from tests.test_redshift import ROLE

LINES_FILE = "log_data/2018/11/2018-11-01-events.json"


def line(record: dict[str, Any]) -> bytes:
    return json.dumps(record, ensure_ascii=False).encode()


def bad(item: int, **values: Any) -> dict[str, Any]:
    """A NextSong event of 2018-11-01 with ``values`` in place of its own; ``item`` tells it apart."""
    return {**event(f"2018-11-01T14:00:{item:02d}.000", session_id=700, item=item), **values}


def without(record: dict[str, Any], key: str) -> dict[str, Any]:
    return {name: value for name, value in record.items() if name != key}


@dataclass(frozen=True)
class Line:
    """A bad line, the reason every engine gives for it, and whether COPY lets it through to the screening."""

    text: bytes
    reason: str
    #: Redshift: judged by the screening SQL (the same reason), else by COPY itself (its own load error).
    screened: bool = False
    #: Whether ``reason`` is the whole reason or its start (the older cases of tests/test_bad_records.py).
    exact: bool = True
    #: The screening's reason where COPY has made the record another one (a missing key is a NULL there).
    on_redshift: str | None = None


LINES = [
    Line(line(bad(1, ts=1541080801)), f"{records.TS_REASON}: 1541080801", screened=True),  # in seconds
    Line(line(bad(2, ts=records.MIN_TS - 1)), f"{records.TS_REASON}: {records.MIN_TS - 1}", screened=True),
    Line(line(bad(3, ts=records.MAX_TS + 1)), f"{records.TS_REASON}: {records.MAX_TS + 1}", screened=True),
    Line(line(bad(4, ts=-1)), f"{records.TS_REASON}: -1", screened=True),
    Line(line(bad(5, ts=None)), records.TS_NULL, screened=True),
    Line(line(without(bad(6), "ts")), "missing field(s): ts", screened=True, on_redshift=records.TS_NULL),
    Line(line(bad(7, userId="")), records.PLAY_WITHOUT_USER, screened=True),
    Line(line(bad(8, userId=None)), records.PLAY_WITHOUT_USER, screened=True),
    Line(line(bad(9, userId=" \t ")), records.PLAY_WITHOUT_USER, screened=True),
    Line(line(bad(10, userId="abc")), 'userId is not a whole number or blank: "abc"', screened=True),
    Line(line(bad(11, userId="1234567890")), 'userId is not a whole number or blank: "1234567890"', screened=True),
    # a ts in range but not as the rules read it: records rule ts before userId, as the screening does
    Line(line(bad(12, ts=1541080812, userId="")), f"{records.TS_REASON}: 1541080812", screened=True),
    *(Line(text, reason, exact=False) for text, reason in BAD_LINES),
]
#: Good lines at the rules' edges: each must load on every engine.
EDGES = [
    line({**event("2018-11-01T15:00:00.000", item=1), "ts": records.MIN_TS}),
    line({**event("2018-11-01T15:00:01.000", item=2), "ts": records.MAX_TS}),
    line(event("2018-11-01T15:00:02.000", item=3, user_id="", page="Home")),  # logged out, no play
    line(event("2018-11-01T15:00:03.000", item=4, user_id=" 12 ")),
]


def good_log(day: int, count: int = 2) -> bytes:
    """``count`` good events of 2018-11-``day``, one JSON object a line."""
    return b"\n".join(line(event(f"2018-11-{day:02d}T10:00:{index:02d}.000", item=index)) for index in range(count))


def zipped(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("events.json", data)
    return buffer.getvalue()


@dataclass(frozen=True)
class File:
    """A day file of its own: its bytes, why it is rejected whole (None: it is read), and what it then holds."""

    name: str
    data: bytes
    reason: str | None = None
    good: int = 0
    #: Bad lines inside a file that is read: (line number, reason).
    bad_lines: tuple[tuple[int, str], ...] = ()
    gzip: bool = False
    bom: bool = False


LATIN1_FIRST = line(event("2018-11-01T10:00:00.000", song="Café")).decode().encode("latin-1")
LATIN1_BYTE = LATIN1_FIRST.index("é".encode("latin-1")) + 1
ARRAY = json.dumps([event("2018-11-01T10:00:00.000"), event("2018-11-01T10:00:01.000")]).encode()
ARRAY_REASON = "a JSON array, not newline-delimited JSON objects"
FILES = [
    File("gzip", gzip.compress(good_log(10)), good=2, gzip=True),
    File(
        "gzip, a bad line in it",
        gzip.compress(good_log(11) + b"\n" + line({**event("2018-11-11T11:00:00.000"), "userId": ""})),
        good=2,
        bad_lines=((3, records.PLAY_WITHOUT_USER),),
        gzip=True,
    ),
    File(
        "gzip cut short",
        gzip.compress(good_log(12, 50))[:-40],
        "gzip-compressed, but cut short or corrupt: Compressed file ended before the end-of-stream marker was reached",
        gzip=True,
    ),
    File("byte-order mark", records.BOM + good_log(12), good=2, bom=True),
    File("byte-order mark in gzip", gzip.compress(records.BOM + good_log(13)), good=2, gzip=True, bom=True),
    File("byte-order mark, blank first", records.BOM + b"\n" + good_log(14, 1), good=1, bom=True),
    File("empty", b""),
    File("a JSON array", ARRAY, ARRAY_REASON),
    File("a JSON array, pretty-printed", json.dumps(json.loads(ARRAY), indent=2).encode(), ARRAY_REASON),
    File(
        "a JSON string", b'"events of 2018-11-01"\n' + good_log(1), "a JSON string, not newline-delimited JSON objects"
    ),
    File("a JSON number", b"42\n", "a JSON number, not newline-delimited JSON objects"),
    File("a JSON array in gzip", gzip.compress(ARRAY), f"gzip-compressed, and once decompressed {ARRAY_REASON}"),
    File(
        "gzip twice",
        gzip.compress(gzip.compress(good_log(1))),
        "gzip-compressed inside gzip: one gzip layer is read, no more",
    ),
    File("zip", zipped(good_log(1)), "zip-compressed, not text: of compressed files only gzip is read"),
    File("bzip2", bz2.compress(good_log(1)), "bzip2-compressed, not text: of compressed files only gzip is read"),
    File("zstd", b"\x28\xb5\x2f\xfd" + bytes(64), "zstd-compressed, not text: of compressed files only gzip is read"),
    File("latin-1", LATIN1_FIRST, f"not UTF-8 text: byte {LATIN1_BYTE} is not valid"),
    File("UTF-16", good_log(1).decode().encode("utf-16"), "UTF-16 text (its byte-order mark says so), not UTF-8"),
    File("binary", bytes(range(256)) * 4, "binary, not text: byte 1 is the control character 0x00"),
]


def file_key(index: int) -> str:
    return f"log_data/2018/11/2018-11-{index + 10:02d}-events.json"


def write_corpus(root: Path) -> tuple[int, list[tuple[str, int | None, str, bool]]]:
    """The corpus as a source folder; returns the good records and each reject: object, line, reason, exactly."""
    write_source(root, [], [])
    good, expected = 0, []
    texts = [line(event("2018-11-01T10:00:00.000"))]
    for case in LINES:
        texts.append(case.text)
        expected.append((LINES_FILE, len(texts), case.reason, case.exact))
    texts += [*EDGES, line(event("2018-11-01T23:00:00.000"))]
    good += 1 + len(EDGES) + 1
    (root / LINES_FILE).parent.mkdir(parents=True, exist_ok=True)
    (root / LINES_FILE).write_bytes(b"\n".join(texts) + b"\n")
    for index, case in enumerate(FILES):
        (root / file_key(index)).write_bytes(case.data)
        good += case.good
        if case.reason:
            expected.append((file_key(index), None, case.reason, True))
        expected += [(file_key(index), number, reason, True) for number, reason in case.bad_lines]
    return good, expected


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, list[tuple[str, int | None, str, bool]]]:
    root = tmp_path_factory.mktemp("corpus") / "source"
    good, expected = write_corpus(root)
    return root, good, expected


def stage(url: str, root: Path) -> tuple[Staged, list[tuple[Any, ...]]]:
    """The corpus's event logs staged on the warehouse at ``url``: what it counted, and its rejects."""
    warehouse, run = connect(url), LoadRun.new(Window.everything())
    source = LocalSource(root)
    keys = source.event_keys(Window.everything())
    warehouse.create_staging(run.staging_events)
    staged = warehouse.stage_events(run.staging_events, source, keys, run.key)
    counted = Staged(
        "events", staged, warehouse.rejected(run.key, "events"), len(keys), warehouse.rejected_files(run.key, "events")
    )
    found = rows(
        url,
        "SELECT source_object, line_number, reason, raw_text FROM rejected_records WHERE run_key = :run_key",
        run_key=run.key,
    )
    warehouse.engine.dispose()
    return counted, sorted(found, key=lambda row: (row[0], row[1] or 0))


def test_duckdb_and_postgresql_reject_the_same_records_and_files_and_stage_every_good_record(
    corpus: tuple[Path, int, list[tuple[str, int | None, str, bool]]], tmp_path: Path, pg_url: str
) -> None:
    root, good, expected = corpus
    on_duckdb, found = stage(duckdb_url(tmp_path), root)
    on_postgres, found_pg = stage(pg_url, root)

    assert found_pg == found
    assert on_postgres == on_duckdb
    # each case, where it is and why: a rule removed from either engine stages its record, or rejects another
    expected = sorted(expected, key=lambda case: (case[0], case[1] or 0))
    assert [(obj, number) for obj, number, *_ in found] == [(f"{root}/{key}", number) for key, number, *_ in expected]
    for (_, number, reason, raw_text), (key, _, wanted, exact) in zip(found, expected, strict=True):
        assert reason == wanted if exact else reason.startswith(wanted), (key, number, reason)
        # a file rejected whole: no line, no clipped bytes (its object is how it is recovered)
        assert (raw_text is None) is (number is None), (key, number, raw_text)
    whole = sum(number is None for _, number, *_ in expected)
    assert on_duckdb == Staged("events", good, len(expected) - whole, len(FILES) + 1, whole)
    assert on_duckdb.describe() == (
        f"events: read {len(FILES) + 1} files ({whole} rejected whole) and {good + len(expected) - whole} records "
        f"= staged {good} + rejected {len(expected) - whole}"
    )


def test_redshift_screening_gives_the_other_engines_reasons_for_what_copy_lets_through(pg_url: str) -> None:
    """Each line COPY loads, staged as COPY stages it, judged by the screening SQL on the real server."""
    table = "staging_events_corpus"
    screened = [case for case in LINES if case.screened]
    assert {json.loads(case.text)["itemInSession"] for case in screened} == set(range(1, 13))
    staging = screened_staging(schema.staging_events(table))
    good = [json.loads(text) for text in EDGES]
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        schema.rejected_records.create(conn, checkfirst=True)
        staging.create(conn)
        for record in [json.loads(case.text) for case in screened] + good:
            conn.execute(staging.insert(), as_copy_stages(record, staging))
        redshift = RedshiftDialect_redshift_connector()
        for path in sql.script(f"{SCREENING}/events", "redshift"):
            conn.execute(
                sa.text(sql.render(path, redshift, {"staging_events": table})),
                screening_params("corpus", "s3://b/log_data/x.json", datetime(2018, 11, 2)),
            )
        rejected = conn.execute(sa.text("SELECT reason, raw_text FROM rejected_records WHERE run_key = 'corpus'"))
        reasons = {int(raw.rsplit(" ", 1)[1]): reason for reason, raw in rejected}
        kept = set(conn.execute(sa.text(f"SELECT iteminsession FROM {table}")).scalars())
    engine.dispose()
    assert reasons == {json.loads(case.text)["itemInSession"]: case.on_redshift or case.reason for case in screened}
    assert kept == {record["itemInSession"] for record in good}


def as_copy_stages(record: dict[str, Any], staging: sa.Table) -> dict[str, Any]:
    """A record as COPY's JSON 'auto ignorecase' stages it: keys lower-cased, a missing one NULL, a blank text NULL
    (BLANKSASNULL, EMPTYASNULL), ts from epoch milliseconds (TIMEFORMAT 'epochmillisecs')."""
    values = {column.name: None for column in staging.columns if column.name != "rejection"}
    for name, value in record.items():
        values[name.lower()] = None if isinstance(value, str) and not value.strip() else value
    if values["ts"] is not None:
        values["ts"] = datetime(1970, 1, 1) + timedelta(milliseconds=values["ts"])
    return values


def test_redshift_rejects_the_same_files_copies_gzip_with_gzip_and_reads_a_byte_order_mark_from_a_copy(
    corpus: tuple[Path, int, list[tuple[str, int | None, str, bool]]],
    tmp_path: Path,
    s3_server: S3Server,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root, _, expected = corpus
    use_s3(s3_server, monkeypatch)
    bucket, client = new_bucket(), s3_client(s3_server)
    upload_tree(s3_server, bucket, "raw", root)
    source = open_source(f"s3://{bucket}/raw")
    keys = [file_key(index) for index in range(len(FILES))]

    served: dict[str, bytes] = {}

    def read(url: str) -> bytes:
        name, _, key = url.removeprefix("s3://").partition("/")
        served[url] = client.get_object(Bucket=name, Key=key)["Body"].read()
        return served[url]

    server = RecordingRedshift(read)
    try:
        with redirected(server):
            url = sa.URL.create(
                "redshift+redshift_connector", "etl", "pw", "example.redshift.amazonaws.com", 5439, "dev"
            )
            warehouse = RedshiftWarehouse(
                sa.create_engine(url), 100, CopyOptions(iam_role_arn=ROLE, region="us-west-2")
            )
            run = LoadRun.new(Window.everything())
            warehouse.stage_events(run.staging_events, source, keys, run.key)
            warehouse.engine.dispose()
    finally:
        server.close()

    # the files rejected whole: one reject each, no line, no text, the same reasons as on the other engines
    inserted = [  # rows of multi-row INSERTs, seven values each
        r.params[start : start + 7]
        for r in server.received
        if statement_text(r.sql).lower().startswith("insert into rejected_records (") and " VALUES " in r.sql
        for start in range(0, len(r.params), 7)
    ]
    assert sorted((obj, reason) for _, _, obj, number, reason, text, _ in inserted if number is text is None) == sorted(
        (f"s3://{bucket}/raw/{key}", reason) for key, number, reason, _ in expected if number is None
    )
    # the others, each read once: gzip files by a COPY with GZIP, a file with a byte-order mark from a copy
    manifests = {
        url.rsplit("/", 1)[1]: [entry["url"] for entry in body["entries"]] for url, body in server.manifests.items()
    }
    assert set(manifests) == {"events.manifest", "events-gzip.manifest"}
    copies = [statement_text(r.sql) for r in server.received if statement_text(r.sql).startswith("COPY ")]
    assert ["GZIP" in copy for copy in copies] == [False, True]
    raw, run_folder = f"s3://{bucket}/raw", f"s3://{bucket}/raw/manifests/{run.key}"
    read_as = {
        file_key(index): f"{run_folder}/{file_key(index)}" if case.bom else f"{raw}/{file_key(index)}"
        for index, case in enumerate(FILES)
        if case.reason is None
    }
    assert sorted(manifests["events.manifest"] + manifests["events-gzip.manifest"]) == sorted(read_as.values())
    assert manifests["events-gzip.manifest"] == [
        read_as[file_key(index)] for index, case in enumerate(FILES) if case.gzip and not case.bom and not case.reason
    ]
    for index, case in enumerate(FILES):
        if case.bom:  # read from a copy, uncompressed and without the mark: what the other engines read
            text = gzip.decompress(case.data) if case.gzip else case.data
            assert served[read_as[file_key(index)]] == text.removeprefix(records.BOM)
    # the copies and the manifests are deleted once read
    listed = client.list_objects_v2(Bucket=bucket, Prefix="raw/manifests/")
    assert listed.get("KeyCount", 0) == 0
