"""Redshift's catalog staging: thousands of small song objects made into a few gzip parts one COPY reads.

A COPY reads every object it is given with a request of its own: the real catalog is about 14,900
objects of 250 bytes, and one COPY of them took about 35 minutes on 4 dc2.large nodes. AWS ("Loading
data files") recommends files of about equal size, 1 to 125 MB after compression, their number a
multiple of the cluster's slices. So the flow reads the song objects itself, many GETs in flight at
once, screens each by ``sparkify.records``' rules (as every other engine does: a bad file goes to
``rejected_records`` with its object, line 1, reason and text), and writes the good records as gzip
newline-delimited JSON parts. Each record names its object (``source_object``) and the object's
LastModified (``source_modified_at``), so a row is traced to its song file after the parts are gone.
"""

from __future__ import annotations

import gzip
import logging
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import botocore.exceptions
import orjson

from sparkify import records
from sparkify.records import Rejection
from sparkify.sources import SourceError

logger = logging.getLogger(__name__)

#: A part's most bytes before compression. Song records compress about 5:1, so a full part is about 13 MB of
#: gzip: inside AWS's 1–125 MB, and small enough to hold in memory while it is compressed.
PART_BYTES = 64 << 20
#: The slices parts are made for where the warehouse tells none: Redshift Serverless, which has no STV tables
#: (AWS documents no slice count for a workgroup). 128 is the default base capacity in RPUs, and a workgroup
#: was measured to have a slice per RPU (Redshift Research Project, "Amazon Redshift Serverless", 2023); every
#: base capacity is a multiple of 8, so 128 parts spread evenly over most. The real catalog's ~5 MB of records
#: then make parts of ~8 kB of gzip: small, but 128 objects to read instead of ~14,900.
FALLBACK_SLICES = 128
#: zlib's default level: within a few percent of the smallest gzip, several times faster than level 9.
COMPRESS_LEVEL = 6
_EPOCH = datetime(1970, 1, 1)
_MILLISECOND = timedelta(milliseconds=1)


def part_count(records: int, size: int, slices: int, part_bytes: int = PART_BYTES) -> int:
    """How many parts ``records`` good records of ``size`` bytes make.

    A multiple of the slices, so that each slice loads an equal share, and as few as keep each part within
    ``part_bytes``; but never a part without a record, so a handful of records make as many parts.
    """
    if records <= 0:
        return 0
    slices = max(1, slices)
    rounds = max(1, -(-size // (slices * part_bytes)))
    return min(records, slices * rounds)


def part_ends(sizes: Sequence[int], parts: int) -> list[int]:
    """Where each of ``parts`` parts ends among the records of ``sizes`` bytes, in order: each part about an
    equal share of the bytes, none empty (a record goes where the middle of its bytes falls)."""
    count = len(sizes)
    if not 0 < parts <= count:
        raise ValueError(f"{parts} parts cannot each hold some of {count} records")
    total = sum(sizes)
    ends: list[int] = []
    start = done = 0
    for part in range(parts - 1):
        left = parts - part
        target = done + (total - done) / left
        end = start
        while True:
            done += sizes[end]
            end += 1
            if end >= count - (left - 1) or done + sizes[end] / 2 > target:
                break
        ends.append(end)
        start = end
    ends.append(count)
    return ends


def song_line(source_object: str, modified: datetime | None, document: dict[str, Any]) -> bytes:
    """One record of a part: the object it came from, its LastModified in epoch milliseconds (COPY's TIMEFORMAT),
    then the song file's fields as ``parse_song`` checked them. Its object first: a load error's raw line
    (its first 1,024 bytes) shows it."""
    record = {
        "source_object": source_object,
        "source_modified_at": None if modified is None else (modified - _EPOCH) // _MILLISECOND,
    }
    record.update((name, document[name]) for name in records.SONG_FIELDS)
    return orjson.dumps(record) + b"\n"


class PartWriter(Protocol):
    """What the compaction needs of a source: its objects' bytes, and a place to write the parts."""

    @property
    def uri(self) -> str: ...

    def fetch_all(self, keys: Iterable[str]) -> Iterator[tuple[str, bytes, datetime | None]]: ...

    def write_url(self, url: str, body: bytes) -> None: ...

    def delete_url(self, url: str) -> None: ...


@dataclass(frozen=True)
class Compacted:
    """The parts written, the records in them, and the song files rejected on the way."""

    #: The parts' s3:// URLs, in order: what the COPY manifest lists.
    parts: tuple[str, ...]
    rejections: tuple[Rejection, ...]
    #: The object of each record written, in the order written; ``starts`` says where each part begins.
    objects: tuple[str, ...] = ()
    starts: tuple[int, ...] = ()

    @property
    def records(self) -> int:
        return len(self.objects)

    def source_object(self, part: str, line_number: int) -> str | None:
        """The song file a part's line came from: what a COPY's load error (part and line) is traced to."""
        try:
            index = self.starts[self.parts.index(part)] + line_number - 1
        except ValueError:
            return None
        return self.objects[index] if 0 <= index < len(self.objects) else None


def compact_songs(
    source: PartWriter, keys: Sequence[str], folder: str, slices: int, max_rejections: int | None = None
) -> Compacted:
    """Reads the song objects ``keys``, screens each, and writes the good records as gzip parts under ``folder``.

    An empty file holds no record, as on every engine. With more bad files than ``max_rejections`` no part is
    written: the run fails on its error budget whatever a COPY would load. The records wait in a spooled file
    (in memory up to :data:`PART_BYTES`) until their number and size, and so the parts, are known.
    """
    rejections: list[Rejection] = []
    objects: list[str] = []
    sizes: list[int] = []
    with tempfile.SpooledTemporaryFile(max_size=PART_BYTES, prefix="sparkify-parts-") as spool:
        for key, body, modified in source.fetch_all(keys):
            if not body.strip(records.BLANK + b"\n"):
                continue
            url = f"{source.uri}/{key}"
            document = records.parse_song(body)
            if isinstance(document, str):
                rejections.append(Rejection.of(url, 1, document, body))
                continue
            line = song_line(url, modified, document)
            spool.write(line)
            sizes.append(len(line))
            objects.append(url)
        if not objects or (max_rejections is not None and len(rejections) > max_rejections):
            return Compacted((), tuple(rejections))
        ends = part_ends(sizes, part_count(len(sizes), sum(sizes), slices))
        spool.seek(0)
        parts: list[str] = []
        try:
            start = 0
            for index, end in enumerate(ends):
                url = f"{folder.rstrip('/')}/part-{index:05d}.json.gz"
                body = gzip.compress(spool.read(sum(sizes[start:end])), COMPRESS_LEVEL, mtime=0)
                write_object(source, url, body, "a part of the song catalog")
                parts.append(url)
                start = end
        except BaseException:
            delete_parts(source, parts)
            raise
    return Compacted(tuple(parts), tuple(rejections), tuple(objects), (0, *ends[:-1]))


class ManifestError(SourceError):
    """The flow could not write a COPY manifest, or a part the COPY reads, where it was told to."""


def write_object(source: PartWriter, url: str, body: bytes, what: str) -> None:
    """Writes an object the COPY reads; a refused write names the setting that puts them elsewhere."""
    try:
        source.write_url(url, body)
    except botocore.exceptions.ClientError as error:
        code = error.response.get("Error", {}).get("Code", "error")
        raise ManifestError(
            f"could not write {what} to {url} ({code}). Give an s3:// prefix the flow's credentials may write "
            "to and the cluster's role may read: block field manifest_prefix, or SPARKIFY_MANIFEST_PREFIX."
        ) from error


def delete_parts(source: PartWriter, parts: Iterable[str]) -> None:
    """The parts once the COPY has read them (or could not): a leftover is untidy, not wrong."""
    for part in parts:
        try:
            source.delete_url(part)
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
            logger.warning(
                "could not delete the catalog part %s (%s): grant s3:DeleteObject on its prefix", part, error
            )
