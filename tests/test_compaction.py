"""Redshift's compacted catalog: how many parts, where they split, and what they hold, read back from moto's S3."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from bench.services import S3Server, s3_client
from sparkify import records
from sparkify.sources import S3Source, open_source
from sparkify.warehouse.compaction import (
    FALLBACK_SLICES,
    PART_BYTES,
    ManifestError,
    compact_songs,
    delete_parts,
    part_count,
    part_ends,
)
from sparkify.warehouse.redshift import RedshiftWarehouse
from tests.support.factories import song
from tests.support.samples import new_bucket, use_s3

MB = 1 << 20


@pytest.mark.parametrize(
    ("records_", "size", "slices", "expected"),
    [
        (0, 0, 4, 0),  # nothing to write
        (3, 750, 4, 3),  # fewer records than slices: one part each, none empty
        (14_900, 14_900 * 280, 8, 8),  # the real catalog on 4 dc2.large: one part per slice
        (100_000, 100_000 * 280, 4, 4),
        (10_000, 1024 * MB, 4, 16),  # 1 GB on 4 slices: 4 rounds of 4 parts, 64 MB each
        (10_000, 1024 * MB + 1, 4, 20),  # a byte more: a fifth round
        (5, 1024 * MB, 4, 5),  # huge records: still never an empty part
        (100, 1000, 0, 1),  # a cluster that reports no slice is taken as one
    ],
)
def test_the_part_count_is_a_multiple_of_the_slices_within_the_part_size(
    records_: int, size: int, slices: int, expected: int
) -> None:
    assert part_count(records_, size, slices) == expected


@pytest.mark.parametrize("slices", [1, 2, 4, 8, 32, FALLBACK_SLICES])
@pytest.mark.parametrize("size", [1, 100 * MB, 5000 * MB])
def test_enough_records_make_a_multiple_of_the_slices_each_at_most_the_part_size(slices: int, size: int) -> None:
    count = part_count(1_000_000, size, slices)
    assert count % slices == 0
    assert size / count <= PART_BYTES
    assert count == slices or size / (count - slices) > PART_BYTES  # no round more than needed


def test_parts_split_the_records_in_order_by_bytes_none_empty() -> None:
    sizes = [250] * 1000
    ends = part_ends(sizes, 8)
    assert len(ends) == 8 and ends[-1] == 1000
    counts = [end - start for start, end in zip([0, *ends], ends, strict=False)]
    assert counts == [125] * 8
    # uneven records: each part holds its share of the bytes, give or take a record
    sizes = [100, 5000, 100, 100, 2000, 100, 100, 100, 3000, 100] * 50
    ends = part_ends(sizes, 6)
    bounds = list(zip([0, *ends], ends, strict=False))
    shares = [sum(sizes[start:end]) for start, end in bounds]
    assert all(end > start for start, end in bounds) and ends[-1] == len(sizes)
    assert max(abs(share - sum(sizes) / 6) for share in shares) <= max(sizes)


def test_as_many_parts_as_records_put_one_record_in_each_even_a_large_first_one() -> None:
    assert part_ends([10_000, 1, 1, 1], 4) == [1, 2, 3, 4]
    assert part_ends([1, 1, 1, 10_000], 2) == [3, 4]
    with pytest.raises(ValueError, match="cannot each hold"):
        part_ends([1, 2], 3)


@dataclass
class Catalog:
    source: S3Source
    client: Any
    bucket: str
    good: dict[str, dict]
    bad: str
    empty: str

    @property
    def keys(self) -> list[str]:
        return sorted([*self.good, self.bad, self.empty])


@pytest.fixture
def catalog(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> Catalog:
    use_s3(s3_server, monkeypatch)
    bucket = new_bucket()
    client = s3_client(s3_server)
    client.create_bucket(Bucket=bucket)
    good = {
        f"song_data/A/{index % 3}/TRA{index:04d}.json": song(f"SO{index:04d}", f"Title {index}", year=1990 + index)
        for index in range(30)
    }
    for key, record in good.items():
        client.put_object(Bucket=bucket, Key=f"raw/{key}", Body=json.dumps(record).encode())
    bad, empty = "song_data/B/TRBAD.json", "song_data/B/TREMPTY.json"
    client.put_object(Bucket=bucket, Key=f"raw/{bad}", Body=b'{"song_id": "SOBAD", "title": "no other field"}')
    client.put_object(Bucket=bucket, Key=f"raw/{empty}", Body=b" \n")
    source = open_source(f"s3://{bucket}/raw")
    assert isinstance(source, S3Source)
    return Catalog(source, client, bucket, good, bad, empty)


def read_back(catalog: Catalog, url: str) -> list[dict]:
    key = url.removeprefix(f"s3://{catalog.bucket}/")
    body = catalog.client.get_object(Bucket=catalog.bucket, Key=key)["Body"].read()
    return [json.loads(line) for line in gzip.decompress(body).decode().splitlines()]


def test_the_good_song_files_are_written_once_each_into_gzip_parts_naming_their_object(catalog: Catalog) -> None:
    folder = f"s3://{catalog.bucket}/raw/manifests/r1/songs"
    listed = {item.key: item for item in catalog.source.song_objects()}

    compacted = compact_songs(catalog.source, catalog.keys, folder, slices=4)

    assert compacted.parts == tuple(f"{folder}/part-{index:05d}.json.gz" for index in range(4))
    lines = {part: read_back(catalog, part) for part in compacted.parts}
    assert all(lines.values()), "no part is empty"
    written = [record for part in compacted.parts for record in lines[part]]
    expected = {f"s3://{catalog.bucket}/raw/{key}": record for key, record in catalog.good.items()}
    assert sorted(record["source_object"] for record in written) == sorted(expected)
    for record in written:
        assert {name: record[name] for name in records.SONG_FIELDS} == expected[record["source_object"]]
        key = record["source_object"].removeprefix(f"s3://{catalog.bucket}/")
        stored = catalog.client.head_object(Bucket=catalog.bucket, Key=key)["LastModified"]
        assert record["source_modified_at"] == round(stored.timestamp() * 1000)
        # the listing gives the same time, naive UTC
        assert listed[key.removeprefix("raw/")].modified == stored.astimezone(UTC).replace(tzinfo=None)
        assert list(record)[:2] == ["source_object", "source_modified_at"]  # first: a load error's raw line shows it
    # each line of each part is traced back to its song file
    for part in compacted.parts:
        for number, record in enumerate(lines[part], start=1):
            assert compacted.source_object(part, number) == record["source_object"]
    assert compacted.source_object(f"{folder}/part-99999.json.gz", 1) is None
    # the bad file is rejected as on the other engines; the empty one holds no record
    (rejection,) = compacted.rejections
    assert rejection.source_object == f"s3://{catalog.bucket}/raw/{catalog.bad}"
    assert (rejection.line_number, rejection.raw_text) == (1, '{"song_id": "SOBAD", "title": "no other field"}')
    assert rejection.reason == records.parse_song(b'{"song_id": "SOBAD", "title": "no other field"}')
    assert compacted.records == len(catalog.good)

    delete_parts(catalog.source, compacted.parts)
    listing = catalog.client.list_objects_v2(Bucket=catalog.bucket, Prefix="raw/manifests/")
    assert listing.get("KeyCount") == 0


def test_more_bad_files_than_the_budget_write_no_part(catalog: Catalog) -> None:
    folder = f"s3://{catalog.bucket}/raw/manifests/r2/songs"
    compacted = compact_songs(catalog.source, catalog.keys, folder, slices=4, max_rejections=0)
    assert compacted.parts == () and len(compacted.rejections) == 1
    listing = catalog.client.list_objects_v2(Bucket=catalog.bucket, Prefix="raw/manifests/")
    assert listing.get("KeyCount") == 0


@dataclass
class FailingSecondWrite:
    """The real source, whose second write is refused as S3 refuses one: the first part must not stay behind."""

    source: S3Source
    writes: int = 0

    @property
    def uri(self) -> str:
        return self.source.uri

    def fetch_all(self, keys: Iterable[str]) -> Iterator[tuple[str, bytes, datetime | None]]:
        return self.source.fetch_all(keys)

    def write_url(self, url: str, body: bytes) -> None:
        self.writes += 1
        if self.writes == 2:
            self.source.write_url("s3://no-such-bucket-sparkify/part", body)
        self.source.write_url(url, body)

    def delete_url(self, url: str) -> None:
        self.source.delete_url(url)


def test_a_refused_part_names_the_setting_and_leaves_no_part_behind(catalog: Catalog) -> None:
    folder = f"s3://{catalog.bucket}/raw/manifests/r3/songs"
    with pytest.raises(ManifestError, match=r"manifest_prefix.*SPARKIFY_MANIFEST_PREFIX"):
        compact_songs(FailingSecondWrite(catalog.source), catalog.keys, folder, slices=4)
    listing = catalog.client.list_objects_v2(Bucket=catalog.bucket, Prefix="raw/manifests/")
    assert listing.get("KeyCount") == 0


def test_serverless_makes_parts_for_the_fallback_slices_without_asking() -> None:
    """No STV tables on Serverless: no query is sent (the engine points nowhere)."""
    from sparkify.blocks import WarehouseConnection
    from sparkify.warehouse import connect

    block = WarehouseConnection(
        driver="redshift+redshift_connector",
        host="wg.123456789012.us-west-2.redshift-serverless.amazonaws.com",
        port=9,
        database="dev",
        user="etl",
        iam_role_arn="arn:aws:iam::123456789012:role/sparkify-redshift-copy",
    )
    warehouse = connect(block=block)
    assert isinstance(warehouse, RedshiftWarehouse) and warehouse.serverless
    assert warehouse.slice_count() == FALLBACK_SLICES
