"""Files rather than records: stray objects skipped by a stated rule, whole files judged, files in the budget."""

from __future__ import annotations

import bz2
import gzip
import logging
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest

from bench.csv_logs import to_csv_source
from bench.services import S3Server, s3_client, upload_tree
from flows.etl.flow import sparkify_etl
from sparkify import records
from sparkify.records import Staged, TooManyBadRecordsError
from sparkify.run import LoadRun
from sparkify.sources import LocalSource, describe_skipped, event_file_day, open_source, skip_reason
from sparkify.warehouse import connect
from sparkify.window import Window
from tests.support.factories import event, ms, song, write_source
from tests.support.helpers import duckdb_url, rows
from tests.support.samples import EVENTS, new_bucket, use_s3, write_feeds

#: Objects under log_data/ and song_data/ that are no source files, each with why.
STRAYS = {
    "log_data/README.md": "not named log_data/YYYY/MM/YYYY-MM-DD-events.json",
    "log_data/2018/11/2018-11-31-events.json": "2018-11-31 is no date",
    "log_data/2018/11/2018-11-02-events.json.tmp": "not named log_data/YYYY/MM/YYYY-MM-DD-events.json",
    "log_data/2018/12/2018-11-02-events.json": "a file of 2018-11-02 in the folder of another month (2018/12/)",
    "log_data/2018/11/2018-11-03-events.csv": "a .csv file: this run reads .json event logs",
    "song_data/A/B/C/README.txt": "not a .json file",
}


def with_strays(root: Path) -> Path:
    for key in STRAYS:
        (root / key).parent.mkdir(parents=True, exist_ok=True)
        (root / key).write_text("", encoding="utf-8")
    return root


def test_a_key_names_its_day_or_why_it_is_skipped_and_never_raises() -> None:
    assert event_file_day("log_data/2018/11/2018-11-30-events.json") == date(2018, 11, 30)
    assert event_file_day("log_data/2018/11/2018-11-30-events.csv", "json") is None
    for key, reason in STRAYS.items():
        assert skip_reason(key, "json") == reason
        assert event_file_day(key, "json") is None
    assert event_file_day("log_data/2018/02/2018-02-29-events.json") is None
    assert event_file_day("log_data/2020/02/2020-02-29-events.json") == date(2020, 2, 29)
    assert skip_reason("song_data/A/B/C/TRX.json") is None


def test_a_local_listing_skips_and_reports_the_strays_of_the_folders_it_looked_in(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    source = LocalSource(with_strays(write_feeds(tmp_path / "source")))
    caplog.set_level(logging.WARNING, logger="sparkify.sources")

    everything = source.event_listing(Window.everything())
    assert [item.key for item in everything.objects] == source.event_keys(Window.everything())
    assert len(everything.objects) == 3
    assert everything.skipped == tuple(sorted(key for key in STRAYS if key.startswith("log_data/")))
    # a window looks in its months' folders only, and finds the strays there
    november = source.event_listing(Window(datetime(2018, 11, 1), datetime(2018, 11, 3)))
    assert [item.key for item in november.objects] == [
        "log_data/2018/11/2018-11-01-events.json",
        "log_data/2018/11/2018-11-02-events.json",
    ]
    assert november.skipped == tuple(sorted(key for key in STRAYS if key.startswith("log_data/2018/11/")))
    assert source.song_listing().skipped == ("song_data/A/B/C/README.txt",)
    assert len(source.song_keys()) == 3
    # each listing that skipped something says so, naming every key and why
    warnings = [record.getMessage() for record in caplog.records if record.name == "sparkify.sources"]
    assert warnings[0] == describe_skipped(str(source.root), everything.skipped, "json")
    assert "log_data/2018/11/2018-11-31-events.json (2018-11-31 is no date)" in warnings[0]
    assert any("song_data/A/B/C/README.txt (not a .json file)" in warning for warning in warnings)


def test_a_long_list_of_strays_is_named_in_part_and_counted() -> None:
    skipped = [f"log_data/junk-{index:02d}" for index in range(25)]
    said = describe_skipped("s3://b", skipped)
    assert said.startswith("skipped 25 object(s) of s3://b that are no source files, never staged: log_data/junk-00")
    assert said.endswith("log_data/junk-19 (not named log_data/YYYY/MM/YYYY-MM-DD-events.<format>) and 5 more")


def test_an_s3_listing_skips_the_same_strays_and_folder_markers_and_reads_a_files_first_bytes(
    tmp_path: Path, s3_server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_s3(s3_server, monkeypatch)
    bucket = new_bucket()
    upload_tree(s3_server, bucket, "raw", with_strays(write_feeds(tmp_path / "source")))
    client = s3_client(s3_server)
    client.put_object(Bucket=bucket, Key="raw/log_data/2018/", Body=b"")  # a folder marker: no object
    source = open_source(f"s3://{bucket}/raw")
    local = LocalSource(tmp_path / "source")

    for window in (Window.everything(), Window(datetime(2018, 11, 1), datetime(2018, 11, 3))):
        listed = source.event_listing(window)
        assert [item.key for item in listed.objects] == [item.key for item in local.event_listing(window).objects]
        assert listed.skipped == local.event_listing(window).skipped
    assert source.song_listing().skipped == ("song_data/A/B/C/README.txt",)
    day = "log_data/2018/11/2018-11-01-events.json"
    assert source.head(day, 5) == (tmp_path / "source" / day).read_bytes()[:5]
    assert source.head("log_data/2018/11/2018-11-31-events.json", 5) == b""  # empty: no byte 0 to range over


@pytest.mark.usefixtures("prefect_harness")
def test_a_run_beside_stray_objects_loads_the_event_files_and_names_the_strays(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clean, stray = write_feeds(tmp_path / "clean"), with_strays(write_feeds(tmp_path / "stray"))
    (stray / "log_data/2018/11/2018-11-31-events.json").write_bytes(b"not even JSON")
    caplog.set_level(logging.WARNING, logger="sparkify.sources")

    summary = sparkify_etl(source=str(stray), warehouse=duckdb_url(tmp_path / "stray"))

    # the same run as without the strays, which its summary names
    assert replace(summary, skipped=[]) == sparkify_etl(source=str(clean), warehouse=duckdb_url(tmp_path / "clean"))
    assert any("2018-11-31-events.json" in line for line in summary.skipped)
    assert summary.staged_events == len(EVENTS) and summary.rejected_events == 0
    assert "2018-11-31-events.json (2018-11-31 is no date)" in caplog.text
    loaded = rows(duckdb_url(tmp_path / "stray"), "SELECT source_object FROM loaded_objects WHERE feed = 'events'")
    assert not any("2018-11-31" in name or "README" in name for (name,) in loaded)


def test_a_day_file_with_a_byte_order_mark_or_in_gzip_reads_as_the_plain_one(tmp_path: Path) -> None:
    root = write_source(tmp_path / "source", [event("2018-11-01T10:00:00.000")], [song("SO1", "T")])
    day = root / "log_data/2018/11/2018-11-01-events.json"
    plain = day.read_bytes()
    for data, kind in (
        (records.BOM + plain, records.FileJudgement(bom=True)),
        (gzip.compress(records.BOM + plain), records.FileJudgement(gzip=True, bom=True)),
        (gzip.compress(plain), records.FileJudgement(gzip=True)),
    ):
        assert records.judge_file(data[: records.SNIFF_BYTES]) == kind
        day.write_bytes(data)
        files = records.judge_files(LocalSource(root), ["log_data/2018/11/2018-11-01-events.json"])
        with files.open(LocalSource(root), "log_data/2018/11/2018-11-01-events.json") as stream:
            assert [text for _, text in records.lines(stream)] == [plain]


def test_a_multi_byte_character_cut_at_the_end_of_the_bytes_judged_is_no_fault() -> None:
    text = b'{"song": "x' + "é".encode() * records.SNIFF_BYTES
    head = text[: records.SNIFF_BYTES]
    assert head[-1:] == "é".encode()[:1]  # the last character cut in two
    assert records.judge_file(head).reason is None
    # a file that really ends there is not UTF-8
    assert records.judge_file(text[:12]).reason == "not UTF-8 text: byte 12 is not valid"


def test_each_file_rejected_whole_counts_as_one_bad_record_against_the_budget() -> None:
    within = Staged("events", 990, 9, files=2, files_rejected=1)
    records.check_budget([within], 10, "s3://b", "run")
    assert within.describe() == "events: read 2 files (1 rejected whole) and 999 records = staged 990 + rejected 9"
    over = Staged("events", 990, 10, files=2, files_rejected=1)
    with pytest.raises(TooManyBadRecordsError) as failure:
        records.check_budget([over], 10, "s3://b", "run")
    assert "10 of 1000 events records and 1 files rejected whole of s3://b were rejected" in str(failure.value)
    assert Staged("songs", 3, 0).describe() == "songs: read 3 = staged 3 + rejected 0"


def test_csv_logs_are_judged_whole_alike_on_duckdb_and_postgresql(tmp_path: Path, pg_url: str) -> None:
    """gzip and a byte-order mark read as the plain log; another compression rejected whole, on both engines."""
    root = to_csv_source(write_feeds(tmp_path / "json"), tmp_path / "csv")
    days = sorted((root / "log_data").rglob("*.csv"))
    plain = days[0].read_bytes()
    days[0].write_bytes(gzip.compress(records.BOM + plain))
    days[1].write_bytes(records.BOM + days[1].read_bytes())
    days[2].write_bytes(bz2.compress(days[2].read_bytes()))
    source = LocalSource(root, "csv")
    keys = source.event_keys(Window.everything())
    found = []
    for url in (duckdb_url(tmp_path), pg_url):
        warehouse, run = connect(url), LoadRun.new(Window.everything())
        warehouse.create_staging(run.staging_events)
        staged = warehouse.stage_events(run.staging_events, source, keys, run.key)
        rejected = rows(url, "SELECT source_object, line_number, reason, raw_text FROM rejected_records")
        found.append(
            (staged, warehouse.rejected(run.key, "events"), warehouse.rejected_files(run.key, "events"), rejected)
        )
        warehouse.engine.dispose()
    in_last_day = len(EVENTS) - sum(1 for record in EVENTS if record["ts"] < ms("2018-12-01T00:00:00.000"))
    reason = "bzip2-compressed, not text: of compressed files only gzip is read"
    assert found[0] == found[1] == (len(EVENTS) - in_last_day, 0, 1, [(f"{root}/{keys[2]}", None, reason, None)])
