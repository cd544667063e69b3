"""Where the raw feeds live: a folder laid out like the S3 bucket, or the bucket itself.

``song_data/`` holds one JSON object per song file; ``log_data/YYYY/MM/``
holds one newline-delimited JSON file per UTC day, named ``YYYY-MM-DD-events.json``.
Objects are named by keys relative to the source's root, as in S3.

Event logs may also come as CSV (``events_format="csv"``), one file per UTC day
named ``YYYY-MM-DD-events.csv``: RFC 4180 (comma, ``"`` quotes doubled inside
quoted fields, which may span lines), UTF-8, a header row naming
:data:`EVENT_COLUMNS` in that order, the JSON keys' values in the same columns.
An empty unquoted field is null; ``""`` is the empty string (a logged-out
``userId``); numbers are written as in the JSON (``ts`` in epoch milliseconds).

Stray objects are skipped by rule, never staged, and named in a warning (and in the
listing's ``skipped``, for the run's report): under ``log_data/`` an event file is
``log_data/YYYY/MM/YYYY-MM-DD-events.<format>`` of the run's format whose date is a
real date and whose folders are its year and month; under ``song_data/`` a song file
is any ``*.json`` file. Anything else there (a README, a ``.tmp``, a
``2018-11-31-events.json``, a day file in another month's folder) is skipped. S3's
folder markers (keys ending in ``/``) are no objects and are not reported.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cached_property
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol

import botocore.exceptions

from sparkify.errors import PipelineError
from sparkify.window import Window, naive_utc

if TYPE_CHECKING:
    from prefect_aws import S3Bucket

logger = logging.getLogger(__name__)

SONG_PREFIX = "song_data"
LOG_PREFIX = "log_data"

#: The formats an event log may come in; song files are always JSON.
EVENTS_FORMATS = ("json", "csv")
#: The event log's fields: the JSON keys, and the CSV header in this order.
EVENT_COLUMNS = (
    "artist",
    "auth",
    "firstName",
    "gender",
    "itemInSession",
    "lastName",
    "length",
    "level",
    "location",
    "method",
    "page",
    "registration",
    "sessionId",
    "song",
    "status",
    "ts",
    "userAgent",
    "userId",
)
#: botocore retries S3 throttling (SlowDown) and 5xx up to 10 times, backing off; adaptive mode also paces the client.
S3_CLIENT_CONFIG: dict[str, Any] = {"retries": {"mode": "adaptive", "max_attempts": 10}}
#: Concurrent GETs when downloading many objects; below botocore's default pool of 10 connections.
S3_DOWNLOAD_THREADS = 8
#: Objects :meth:`S3Source.fetch_all` holds read ahead of its caller: what bounds its memory.
FETCHED_AHEAD = 16 * S3_DOWNLOAD_THREADS


class SourceError(PipelineError, ValueError):
    """The source is missing or does not look like the Sparkify bucket: the message says what to fix."""


def event_file_key(day: date, events_format: str = "json") -> str:
    """The key of a day's event log, as the application writes it."""
    return f"{LOG_PREFIX}/{day:%Y/%m}/{day:%Y-%m-%d}-events.{events_format}"


_EVENT_FILE = re.compile(
    rf"{LOG_PREFIX}/(?P<folder>\d{{4}}/\d{{2}})/(?P<day>\d{{4}}-\d{{2}}-\d{{2}})-events\.(?P<format>[a-z]+)"
)
#: How many skipped keys a warning names; the rest are counted.
SKIPPED_SHOWN = 20


def event_file_day(key: str, events_format: str | None = None) -> date | None:
    """The UTC day a day file's events belong to, from its name; None for any other key, never an error.

    A day file is ``log_data/YYYY/MM/YYYY-MM-DD-events.<format>`` (of ``events_format``, when given) whose
    date is a real date and whose folders are its year and month: ``2018-11-31`` is no day, and a day
    file in another month's folder is not where a window looks for it.
    """
    return None if skip_reason(key, events_format) else date.fromisoformat(_EVENT_FILE.fullmatch(key)["day"])


def skip_reason(key: str, events_format: str | None = None) -> str | None:
    """Why a listed key is no source file and is skipped (the rule in this module's docstring); None: it is one."""
    if key.startswith(f"{SONG_PREFIX}/"):
        return None if key.endswith(".json") else "not a .json file"
    match = _EVENT_FILE.fullmatch(key)
    if match is None:
        return f"not named {LOG_PREFIX}/YYYY/MM/YYYY-MM-DD-events.{events_format or '<format>'}"
    try:
        day = date.fromisoformat(match["day"])
    except ValueError:
        return f"{match['day']} is no date"
    if match["folder"] != f"{day:%Y/%m}":
        return f"a file of {day} in the folder of another month ({match['folder']}/)"
    if events_format is not None and match["format"] != events_format:
        return f"a .{match['format']} file: this run reads .{events_format} event logs"
    return None


def describe_skipped(uri: str, skipped: Sequence[str], events_format: str | None = None) -> str:
    """One line naming the objects a listing skipped and why: what the run warns of and reports."""
    shown = [f"{key} ({skip_reason(key, events_format)})" for key in skipped[:SKIPPED_SHOWN]]
    more = f" and {len(skipped) - SKIPPED_SHOWN} more" if len(skipped) > SKIPPED_SHOWN else ""
    return f"skipped {len(skipped)} object(s) of {uri} that are no source files, never staged: {', '.join(shown)}{more}"


def _warn_skipped(uri: str, skipped: Sequence[str], events_format: str | None = None) -> None:
    if skipped:
        logger.warning(describe_skipped(uri, skipped, events_format))


@dataclass(frozen=True)
class SourceObject:
    """An object as a listing gives it: its key, and an identity that changes whenever its content does.

    S3's ETag; for a local file, its size and modification time (what ``make`` and rsync trust). ``modified`` is
    when it was last written (naive UTC): of two song files giving one song_id, the later one wins.
    """

    key: str
    identity: str
    modified: datetime | None = None


@dataclass(frozen=True)
class SongListing:
    """The catalog as a run lists it: one identity for all of it, its number of song files, each file on demand.

    ``identity`` changes whenever a song file is added, removed or replaced, so a run that finds the identity
    it recorded last need not look at any single file; ``objects`` gives every file with its own identity.
    """

    identity: str
    count: int
    objects: Callable[[], list[SourceObject]] = field(repr=False, compare=False)
    #: Keys under song_data/ that are no song file (not ``*.json``): skipped, never staged, reported.
    skipped: tuple[str, ...] = ()


@dataclass(frozen=True)
class EventListing:
    """The event files a window needs, and the stray keys the listing met and skipped (:func:`skip_reason`)."""

    objects: list[SourceObject]
    skipped: tuple[str, ...] = ()


def listing_identity(listing: Iterable[SourceObject]) -> str:
    """One identity for a whole listing, every key with its identity: it changes when any object does."""
    digest = hashlib.sha256()
    for item in listing:
        digest.update(f"{item.key}\t{item.identity}\n".encode())
    return f"listing:{digest.hexdigest()}"


class Source(Protocol):
    """What a warehouse needs of a source: its keys, and their bytes as files or streams."""

    @property
    def uri(self) -> str: ...

    @property
    def events_format(self) -> str: ...

    def check(self) -> None: ...

    def song_keys(self) -> list[str]: ...

    def song_objects(self) -> list[SourceObject]: ...

    def song_listing(self) -> SongListing: ...

    def event_keys(self, window: Window) -> list[str]: ...

    def event_objects(self, window: Window) -> list[SourceObject]: ...

    def event_listing(self, window: Window) -> EventListing: ...

    def local_files(self, keys: list[str]) -> AbstractContextManager[list[Path]]: ...

    def open(self, key: str) -> AbstractContextManager[BinaryIO]: ...

    def head(self, key: str, size: int) -> bytes: ...


class ListedSource:
    """Keys alone, for a caller that needs no identities: taken from the one listing each source makes."""

    def song_objects(self) -> list[SourceObject]:
        raise NotImplementedError

    events_format: str

    def _objects(
        self, prefix: str, wanted: Callable[[str], bool] | None = None
    ) -> tuple[list[SourceObject], list[str]]:
        raise NotImplementedError

    def _month_listed(self, month: str) -> bool:
        """Whether a month's folder is there to list (S3 has no folders: always)."""
        return True

    def event_listing(self, window: Window) -> EventListing:
        """The day files a window needs with their identities, found with one listing per month, not one per day.

        A full load takes every day file under log_data/. The strays of what was listed are skipped and said.
        """
        if window.is_everything:
            objects, skipped = self._objects(LOG_PREFIX)
        else:
            wanted = [event_file_key(day, self.events_format) for day in window.days()]
            needed = set(wanted)
            present: dict[str, SourceObject] = {}
            skipped = []
            for month in sorted({key.rsplit("/", 1)[0] for key in wanted}):
                if self._month_listed(month):
                    found, strays = self._objects(month, needed.__contains__)
                    present.update((item.key, item) for item in found)
                    skipped += strays
            objects = [present[key] for key in wanted if key in present]
        _warn_skipped(self.uri, skipped, self.events_format)
        return EventListing(objects, tuple(skipped))

    def event_objects(self, window: Window) -> list[SourceObject]:
        """The day files a window needs, with their identities; a full load takes every day file under log_data/."""
        return self.event_listing(window).objects

    def song_listing(self) -> SongListing:
        """The catalog listed once; its identity digests every key with its identity (as an S3 listing gives both)."""
        songs = self.song_objects()
        return SongListing(listing_identity(songs), len(songs), lambda: songs)

    def song_keys(self) -> list[str]:
        """Every song file of the catalog."""
        return [song.key for song in self.song_objects()]

    def event_keys(self, window: Window) -> list[str]:
        """The day files a window needs; a full load takes every file under log_data/."""
        return [log.key for log in self.event_objects(window)]


@dataclass(frozen=True)
class LocalSource(ListedSource):
    """A local folder with ``song_data/`` and ``log_data/``."""

    root: Path
    events_format: str = "json"

    @property
    def uri(self) -> str:
        return str(self.root)

    def _folder(self, prefix: str) -> Path:
        folder = self.root / prefix
        if not folder.is_dir():
            raise SourceError(f"{self.root} has no {prefix}/ folder: is it a Sparkify source?")
        return folder

    def check(self) -> None:
        """The folder is there and can be listed (its feeds' folders are looked for when they are listed)."""
        try:
            next(os.scandir(self.root), None)
        except OSError as error:
            raise SourceError(f"cannot list the source folder {self.root}: {error.strerror}") from None

    def _walk(self, prefix: str) -> Iterator[tuple[str, list[os.DirEntry[str]]]]:
        """Each folder under ``prefix/`` with its files, read with ``os.scandir``: no stat yet.

        Paths are joined as strings: ``Path(".") / prefix`` would drop the root that :meth:`_key` strips.
        """
        folders = [os.path.join(self.root, prefix)]
        while folders:
            folder, files = folders.pop(), []
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.is_dir():
                        folders.append(entry.path)
                    elif entry.is_file():
                        files.append(entry)
            yield folder, files

    def _key(self, path: str) -> str:
        """A walked path's key: relative to the root, with slashes as in S3."""
        return path[len(str(self.root)) + 1 :].replace(os.sep, "/")

    def _objects(
        self, prefix: str, wanted: Callable[[str], bool] | None = None
    ) -> tuple[list[SourceObject], list[str]]:
        """Every source file under ``prefix/``, each one stat'ed (100,000 in half a second), and the keys skipped.

        A file is a source file when :func:`skip_reason` finds none; ``wanted`` then picks those a listing needs.
        """
        found, skipped = [], []
        for _, files in self._walk(prefix):
            for entry in files:
                key = self._key(entry.path)
                if skip_reason(key, self.events_format):
                    skipped.append(key)
                elif wanted is None or wanted(key):
                    found.append(_local_object(key, entry.stat()))
        return sorted(found, key=attrgetter("key")), sorted(skipped)

    def song_objects(self) -> list[SourceObject]:
        """Every song file of the catalog, with its size and modification time: a listing, no file opened."""
        self._folder(SONG_PREFIX)
        songs, _ = self._objects(SONG_PREFIX)
        if not songs:
            raise SourceError(f"{self.root / SONG_PREFIX} holds no song files")
        return songs

    def song_listing(self) -> SongListing:
        """The catalog's folders rather than its files: each one's inode and modification time, and file names.

        A file added to a folder, removed from it or renamed over one of its files (how rsync and
        ``aws s3 sync`` replace a file, and how S3 replaces an object) changes the folder's modification time,
        so one stat per folder, none per file, tells that nothing changed. A file rewritten in place changes no
        folder: it is read by the next run that finds any folder changed, or on ``--full-refresh``. Each file's
        own identity is read (``objects``) only when this one changed. Files that are no song file are skipped.
        """
        self._folder(SONG_PREFIX)
        folders: dict[str, tuple[str, list[str]]] = {}
        skipped = []
        for folder, files in self._walk(SONG_PREFIX):
            status = os.stat(folder)
            names = [file.name for file in files if file.name.endswith(".json")]
            skipped += [self._key(file.path) for file in files if not file.name.endswith(".json")]
            folders[self._key(folder)] = (f"{status.st_ino}:{status.st_mtime_ns}", sorted(names))
        count = sum(len(names) for _, names in folders.values())
        if not count:
            raise SourceError(f"{self.root / SONG_PREFIX} holds no song files")
        digest = hashlib.sha256()
        for key, (identity, names) in sorted(folders.items()):
            digest.update("\n".join([f"{key}/\t{identity}", *names, ""]).encode())
        _warn_skipped(self.uri, sorted(skipped))
        return SongListing(f"folders:{digest.hexdigest()}", count, self.song_objects, tuple(sorted(skipped)))

    def event_listing(self, window: Window) -> EventListing:
        """The day files a window needs; a missing log_data/ folder is said, not taken for an empty feed."""
        self._folder(LOG_PREFIX)
        return super().event_listing(window)

    def _month_listed(self, month: str) -> bool:
        return (self.root / month).is_dir()

    @contextmanager
    def local_files(self, keys: list[str]) -> Iterator[list[Path]]:
        """Paths an embedded engine can read directly."""
        yield [self.root / key for key in keys]

    def open(self, key: str) -> AbstractContextManager[BinaryIO]:
        """The object's bytes, streamed."""
        return (self.root / key).open("rb")

    def head(self, key: str, size: int) -> bytes:
        """The object's first ``size`` bytes (fewer when it is shorter): what tells what kind of file it is."""
        with (self.root / key).open("rb") as file:
            return file.read(size)


@dataclass(frozen=True)
class S3Source(ListedSource):
    """Objects under ``s3://bucket/folder``, reached through a prefect-aws ``S3Bucket`` block.

    The block's ``bucket_folder`` is the source's root. Its credentials' client
    carries :data:`S3_CLIENT_CONFIG`, so botocore retries throttling and 5xx answers.
    """

    bucket: S3Bucket = field(repr=False)
    events_format: str = "json"

    @property
    def uri(self) -> str:
        return self.object_url("").rstrip("/")

    def object_url(self, key: str) -> str:
        """The ``s3://`` URL of a key, or of a key prefix such as ``log_data/2018/11/``: what COPY reads."""
        return f"s3://{self.bucket.bucket_name}/{self._object_key(key)}"

    def _object_key(self, key: str) -> str:
        folder = self.bucket.bucket_folder.strip("/")
        return f"{folder}/{key}" if folder else key

    @cached_property
    def _client(self) -> Any:
        """One client per source, shared by its threads as boto3 allows.

        Built here from the block's boto3 session rather than taken from prefect-aws's
        process-wide client cache, which keys on the block alone: a default-chain client
        cached there would keep the endpoint and keys of the environment it first saw.
        """
        credentials = self.bucket.credentials
        return credentials.get_boto3_session().client("s3", **credentials.aws_client_parameters.get_params_override())

    def check(self) -> None:
        """The bucket lists under the source's folder with the run's credentials."""
        try:
            self._client.list_objects_v2(Bucket=self.bucket.bucket_name, Prefix=self._object_key(""), MaxKeys=1)
        except botocore.exceptions.ClientError as error:
            code = error.response.get("Error", {}).get("Code", "error")
            raise SourceError(
                f"cannot list {self.uri}: {code}. Check the bucket's name and that the run's AWS credentials "
                "(the --s3-block's, else the standard chain) may s3:ListBucket it."
            ) from None
        except botocore.exceptions.BotoCoreError as error:
            raise SourceError(f"cannot list {self.uri}: {error}") from None

    def _objects(
        self, prefix: str, wanted: Callable[[str], bool] | None = None
    ) -> tuple[list[SourceObject], list[str]]:
        """Every source object under ``prefix/`` with its ETag, and the keys skipped (:func:`skip_reason`).

        ``wanted`` picks the source objects a listing needs; the paginator pages past 1,000.
        """
        root = self._object_key("")
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket.bucket_name, Prefix=self._object_key(f"{prefix}/")
        )
        found, skipped = [], []
        for page in pages:
            for obj in page.get("Contents", []):
                key = obj["Key"][len(root) :]
                if key.endswith("/"):  # a folder marker, as the console makes them: no object
                    continue
                if skip_reason(key, self.events_format):
                    skipped.append(key)
                elif wanted is None or wanted(key):
                    found.append(SourceObject(key, obj["ETag"], naive_utc(obj["LastModified"])))
        return sorted(found, key=attrgetter("key")), sorted(skipped)

    def _song_files(self) -> tuple[list[SourceObject], list[str]]:
        songs, skipped = self._objects(SONG_PREFIX)
        if not songs:
            raise SourceError(f"{self.object_url(SONG_PREFIX)}/ holds no song files")
        return songs, skipped

    def song_objects(self) -> list[SourceObject]:
        """Every song file of the catalog with its ETag: listed, not downloaded."""
        return self._song_files()[0]

    def song_listing(self) -> SongListing:
        """The catalog listed once; its identity digests every key with its ETag. Other objects are skipped."""
        songs, skipped = self._song_files()
        _warn_skipped(self.uri, skipped)
        return SongListing(listing_identity(songs), len(songs), lambda: songs, tuple(skipped))

    @contextmanager
    def local_files(self, keys: list[str]) -> Iterator[list[Path]]:
        """The objects downloaded to a temporary folder, deleted afterwards: for an engine that reads files."""
        with tempfile.TemporaryDirectory(prefix="sparkify-s3-") as folder:
            paths = [Path(folder, key) for key in keys]
            for parent in {path.parent for path in paths}:
                parent.mkdir(parents=True, exist_ok=True)
            with ThreadPoolExecutor(S3_DOWNLOAD_THREADS) as pool:
                list(pool.map(self._download, keys, paths))
            yield paths

    def _download(self, key: str, path: Path) -> None:
        with self.open(key) as body, path.open("wb") as file:
            shutil.copyfileobj(body, file, 1 << 20)

    def write_url(self, url: str, body: bytes) -> None:
        """Writes an object the flow makes for Redshift (a COPY manifest), through this source's client."""
        bucket, key = _bucket_and_key(url)
        self._client.put_object(Bucket=bucket, Key=key, Body=body)

    def delete_url(self, url: str) -> None:
        bucket, key = _bucket_and_key(url)
        self._client.delete_object(Bucket=bucket, Key=key)

    def head(self, key: str, size: int) -> bytes:
        """The object's first ``size`` bytes, one ranged GET: what tells what kind of file it is."""
        import botocore.exceptions  # as prefect-aws: only an S3 source pays for importing it

        try:
            response = self._client.get_object(
                Bucket=self.bucket.bucket_name, Key=self._object_key(key), Range=f"bytes=0-{size - 1}"
            )
        except botocore.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") == "InvalidRange":  # an empty object has no byte 0
                return b""
            raise
        with closing(response["Body"]) as body:
            return body.read()

    def fetch(self, key: str) -> tuple[bytes, datetime]:
        """An object's bytes and its LastModified (naive UTC), from one GET: the version that was read."""
        response = self._client.get_object(Bucket=self.bucket.bucket_name, Key=self._object_key(key))
        with closing(response["Body"]) as body:
            return body.read(), naive_utc(response["LastModified"])

    def fetch_all(self, keys: Iterable[str]) -> Iterator[tuple[str, bytes, datetime]]:
        """Each object's key, bytes and LastModified, in the order of ``keys``, fetched by a pool of threads.

        A small object costs a GET's latency, not its bandwidth: :data:`S3_DOWNLOAD_THREADS` GETs are in flight
        at once, and at most :data:`FETCHED_AHEAD` objects wait in memory for the caller to take them.
        """
        self._client  # noqa: B018 - made here, once: creating a boto3 client is not thread-safe
        with ThreadPoolExecutor(S3_DOWNLOAD_THREADS, thread_name_prefix="sparkify-fetch") as pool:
            pending: deque[tuple[str, Future[tuple[bytes, datetime]]]] = deque()
            try:
                for key in keys:
                    pending.append((key, pool.submit(self.fetch, key)))
                    if len(pending) >= FETCHED_AHEAD:
                        key, fetched = pending.popleft()
                        yield key, *fetched.result()
                while pending:
                    key, fetched = pending.popleft()
                    yield key, *fetched.result()
            finally:
                for _, fetched in pending:  # the caller stopped early: what is not started never will be
                    fetched.cancel()

    @contextmanager
    def open(self, key: str) -> Iterator[BinaryIO]:
        """The object's bytes, streamed from S3 as they are read."""
        response = self._client.get_object(Bucket=self.bucket.bucket_name, Key=self._object_key(key))
        body = response["Body"]
        try:
            yield body
        finally:
            body.close()


def _bucket_and_key(url: str) -> tuple[str, str]:
    bucket, _, key = url.removeprefix("s3://").partition("/")
    return bucket, key


def _local_object(key: str, status: os.stat_result) -> SourceObject:
    """A local file as a listing gives it: its identity is its size and modification time, as ``make`` trusts them."""
    modified = datetime.fromtimestamp(status.st_mtime_ns / 1e9, UTC).replace(tzinfo=None)
    return SourceObject(key, f"{status.st_size}:{status.st_mtime_ns}", modified)


def open_source(uri: str, *, s3_block: str | None = None, events_format: str = "json") -> Source:
    """The source ``uri`` names: a local folder, or ``s3://bucket/prefix`` read through prefect-aws.

    ``s3_block`` names a saved ``S3Bucket`` block for the same bucket, whose credentials are used;
    without one, the standard AWS chain applies (environment variables such as AWS_ENDPOINT_URL,
    shared profiles, instance roles). The URI, not the block's folder, says where the source lies.
    """
    if events_format not in EVENTS_FORMATS:
        raise SourceError(f"unknown events format {events_format!r}: use one of {', '.join(EVENTS_FORMATS)}")
    if uri.startswith("s3://"):
        return S3Source(_s3_bucket(uri, s3_block), events_format)
    if s3_block is not None:
        raise SourceError(f"S3 block {s3_block!r} given for the local source {uri}: use an s3:// source with it")
    root = Path(uri)
    if not root.is_dir():
        raise SourceError(f"source folder {root} does not exist")
    return LocalSource(root, events_format)


def _s3_bucket(uri: str, block_name: str | None) -> S3Bucket:
    """An in-memory ``S3Bucket`` for ``uri``: the named block's credentials (or the default chain), plus retries."""
    # imported here: prefect-aws takes ~0.4 s to import, which local runs need not pay
    from prefect_aws import AwsCredentials, S3Bucket

    bucket_name, folder = _bucket_and_key(uri)
    if not bucket_name:
        raise SourceError(f"{uri} names no bucket: expected s3://bucket/prefix")
    if block_name is None:
        credentials = AwsCredentials()
    else:
        block = S3Bucket.load(block_name)
        if block.bucket_name != bucket_name:
            raise SourceError(f"S3 block {block_name!r} is for bucket {block.bucket_name!r}, not for {uri}")
        credentials = block.credentials
    parameters = credentials.aws_client_parameters
    config = {**S3_CLIENT_CONFIG, **(parameters.config or {})}  # the block's own client settings win
    credentials = credentials.model_copy(
        update={"aws_client_parameters": parameters.model_copy(update={"config": config})}
    )
    return S3Bucket(bucket_name=bucket_name, bucket_folder=folder.strip("/"), credentials=credentials)
