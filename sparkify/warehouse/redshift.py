"""Amazon Redshift: the cluster itself copies the raw files from S3, in parallel across its slices.

Staging is Redshift's ``COPY``, built by sqlalchemy-redshift's ``CopyCommand`` (it
validates the credentials) and compiled with its values written in by the dialect:
Redshift accepts no bind parameter in COPY. Each feed is one COPY of a manifest
listing exactly the objects to read (a key in ``FROM`` would be a prefix:
``x.json`` also loads ``x.json.bak``). The event logs are COPYed as they are (judged
first, whole files by ``sparkify.records``); the
song files, thousands of tiny objects, are first compacted by this process into a
few gzip parts (``sparkify.warehouse.compaction``), as many as a multiple of the
cluster's slices, which the COPY reads instead. The star schema's distribution and
sort keys come from ``sparkify.schema``'s table options.

Runs and their tasks write the same tables at once, and Redshift's serializable
isolation aborts one of two transactions that read and write a table in a cycle
(ERROR 1023). So every transaction that writes a shared table LOCKs it first,
before anything takes its snapshot; a COPY into the run's own staging table
commits alone, and its load errors are read back afterwards, by its query id.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, NoReturn, Protocol, runtime_checkable

import botocore.exceptions
import sqlalchemy as sa
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy_redshift.commands import Compression, CopyCommand, Format, visit_copy_command
from sqlalchemy_redshift.dialect import RedshiftDialect_redshift_connector

from sparkify import records, schema, sql
from sparkify.config import ConfigError
from sparkify.records import RAW_TEXT_CHARS, Rejection, Staged
from sparkify.settings import get_settings
from sparkify.sources import EVENT_COLUMNS, Source, SourceError, SourceObject
from sparkify.warehouse import compaction
from sparkify.warehouse.base import Capabilities, Warehouse

if TYPE_CHECKING:
    from sparkify.blocks import WarehouseConnection


#: Redshift Serverless endpoints: ``<workgroup>.<account>.<region>.redshift-serverless.amazonaws.com[.cn]``.
SERVERLESS_DOMAINS = (".redshift-serverless.amazonaws.com", ".redshift-serverless.amazonaws.com.cn")


def is_serverless(host: str | None) -> bool:
    """A Serverless workgroup's endpoint: it has only the SYS monitoring views, none of the STL tables."""
    return host is not None and host.lower().rstrip(".").endswith(SERVERLESS_DOMAINS)


logger = logging.getLogger(__name__)

#: Where a run's COPY manifests go by default: a folder of the source's root, beside song_data/ and log_data/.
MANIFEST_FOLDER = "manifests"
#: How much earlier than this process's clock a COPY may have started by the cluster's: its load errors are read
#: as those of this session's latest COPY since then (SYS_LOAD_HISTORY).
COPY_CLOCK_MARGIN = timedelta(minutes=10)
#: Stands for every secret in a statement shown in an error.
MASK = "***"
#: Compiles COPY with its values written in. Its paramstyle is not the driver's ``format`` on purpose: a COPY is
#: sent with no parameters, so the driver converts nothing, and a ``%`` in a value must stay one ``%``.
_LITERAL_DIALECT = RedshiftDialect_redshift_connector(paramstyle="named")


#: The SQL that judges the staged rows after each COPY, what COPY cannot: ``sql/redshift/screen/<feed>/``.
SCREENING = "screen"
#: Bytes a staged text may have beyond its column: at most one character (4 bytes in UTF-8), so that a value COPY's
#: TRUNCATECOLUMNS cut is still longer than the column, and the screening rejects it instead of loading it cut.
_CUT_MARGIN = 4


def screening_params(run_key: str, source_object: str, rejected_at: datetime) -> dict[str, Any]:
    """What the screening's statements bind: where its rejects come from; sparkify.records' bounds and reasons."""
    return {
        "run_key": run_key,
        "source_object": source_object,
        "rejected_at": rejected_at,
        "ts_first": records.TS_FIRST,
        "ts_end": records.TS_END,
        "ts_null": records.TS_NULL,
        "ts_reason": records.TS_REASON,
        "play_without_user": records.PLAY_WITHOUT_USER,
    }


def screened_staging(table: sa.Table) -> sa.Table:
    """``table`` as Redshift stages it: text a character wider than the loads take, and the screening's verdict."""
    columns = [
        sa.Column(column.name, sa.String(column.type.length + _CUT_MARGIN))
        if isinstance(column.type, sa.String)
        else sa.Column(column.name, column.type)
        for column in table.columns
    ]
    verdict = sa.Column("rejection", sa.String(256), comment="why the screening rejects the row; NULL: it is good")
    return sa.Table(table.name, sa.MetaData(), *columns, verdict, **table.dialect_kwargs)


class CopyConfigError(ConfigError):
    """Redshift's COPY has no way to read the source bucket: a configuration mistake, said without a traceback."""


ManifestError = compaction.ManifestError


@runtime_checkable
class S3Located(Protocol):
    """A source whose objects Redshift can read itself (it names them by s3:// URL), and that writes manifests."""

    def object_url(self, key: str) -> str: ...

    def write_url(self, url: str, body: bytes) -> None: ...

    def delete_url(self, url: str) -> None: ...


class RoleCopyCommand(CopyCommand):
    """sqlalchemy-redshift's COPY with a role given as ``IAM_ROLE 'arn'``, AWS's current form.

    ``CopyCommand`` writes every credential as ``WITH CREDENTIALS 'aws_iam_role=…'``, the legacy form.
    """


@compiles(RoleCopyCommand)
def _compile_role_copy(element: RoleCopyCommand, compiler: SQLCompiler, **kw: Any) -> str:
    """CopyCommand's own statement (options, quoting) with its credentials clause naming the role."""
    statement = visit_copy_command(element, _TextOf(compiler), **kw)
    role = element.credentials.removeprefix("aws_iam_role=")
    if role == element.credentials:  # access keys: they have no other form
        return compiler.process(statement, **kw)
    values = [bind for name, bind in statement._bindparams.items() if name != "credentials"]
    with_role = statement.text.replace("WITH CREDENTIALS AS :credentials", "IAM_ROLE :iam_role")
    return compiler.process(
        sa.text(with_role).bindparams(*values, sa.bindparam("iam_role", role, type_=sa.String)), **kw
    )


class _TextOf:
    """Stands for the compiler in ``visit_copy_command``: hands back the ``text()`` it builds, uncompiled."""

    def __init__(self, compiler: SQLCompiler) -> None:
        self.preparer = compiler.preparer

    def process(self, statement: sa.TextClause, **kw: Any) -> sa.TextClause:
        return statement


def copy_sql(command: CopyCommand) -> str:
    """The COPY as Redshift receives it: every value a literal, quoted by the Redshift dialect."""
    return str(command.compile(dialect=_LITERAL_DIALECT, compile_kwargs={"literal_binds": True}))


@dataclass(frozen=True)
class CopyOptions:
    """How COPY reads S3: an IAM role the cluster assumes (preferred) or access keys, and the region."""

    iam_role_arn: str | None = None
    access_key_id: str | None = None
    secret_access_key: SecretStr | None = None
    session_token: SecretStr | None = None
    region: str | None = None
    #: s3:// prefix for the COPY manifests; None: the source's own manifests/ folder.
    manifest_prefix: str | None = None

    def __post_init__(self) -> None:
        if self.manifest_prefix is not None and not self.manifest_prefix.startswith("s3://"):
            raise CopyConfigError(
                f"the manifest prefix {self.manifest_prefix!r} is no s3:// URL: give s3://bucket/prefix "
                "(block field manifest_prefix, or SPARKIFY_MANIFEST_PREFIX)"
            )

    @classmethod
    def from_settings(cls) -> CopyOptions:
        """For a plain ``redshift+redshift_connector://`` URL: role, region, manifest prefix from the environment."""
        configured = get_settings()
        return cls(
            iam_role_arn=configured.copy_iam_role,
            region=configured.copy_region,
            manifest_prefix=configured.manifest_prefix,
        )

    @classmethod
    def from_block(cls, connection: WarehouseConnection) -> CopyOptions:
        """The block's role, or else its AWS keys; unset values fall back to the environment's."""
        aws = connection.aws_credentials
        configured = get_settings()
        role = connection.iam_role_arn or (configured.copy_iam_role if aws is None else None)
        keys = aws if role is None else None
        token = keys.aws_session_token if keys else None
        return cls(
            iam_role_arn=role,
            access_key_id=keys.aws_access_key_id if keys else None,
            secret_access_key=keys.aws_secret_access_key if keys else None,
            session_token=SecretStr(token) if token else None,
            region=connection.region or (aws.region_name if aws else None) or configured.copy_region,
            manifest_prefix=connection.manifest_prefix or configured.manifest_prefix,
        )

    def credentials(self) -> dict[str, str]:
        """CopyCommand's credential arguments; it checks their shape without echoing them."""
        if self.iam_role_arn:
            return {"iam_role_arns": self.iam_role_arn}
        if self.access_key_id and self.secret_access_key:
            keys = {
                "access_key_id": self.access_key_id,
                "secret_access_key": self.secret_access_key.get_secret_value(),
            }
            if self.session_token:
                keys["session_token"] = self.session_token.get_secret_value()
            return keys
        raise CopyConfigError(
            "Redshift's COPY needs to read the source bucket: give an IAM role ARN (block field iam_role_arn, "
            "or SPARKIFY_COPY_IAM_ROLE) or AWS access keys (block field aws_credentials)"
        )

    def secrets(self) -> tuple[str, ...]:
        return tuple(value.get_secret_value() for value in (self.secret_access_key, self.session_token) if value)


class RedshiftWarehouse(Warehouse):
    """Stages with ``COPY … FROM 's3://….manifest' MANIFEST``: the cluster reads the bucket, this process sends SQL."""

    #: Runs write at once and take turns on table locks (LOCK is ACCESS EXCLUSIVE: readers wait too); sort keys,
    #: no indexes; no list binds, so many rows travel as multi-row INSERTs.
    capabilities = Capabilities(locks_tables=True)

    def __init__(self, engine: Engine, max_errors: int, copy: CopyOptions, serverless: bool = False) -> None:
        super().__init__(engine, max_errors)
        self.copy = copy
        # Serverless has no STL_LOAD_ERRORS: COPY's load errors are read from SYS_LOAD_ERROR_DETAIL there
        self.serverless = serverless

    @classmethod
    def from_url(cls, url: sa.URL, max_errors: int) -> Warehouse:
        return cls(_engine(url), max_errors, CopyOptions.from_settings(), serverless=is_serverless(url.host))

    @classmethod
    def from_connection(cls, connection: WarehouseConnection, max_errors: int) -> Warehouse:
        """The block's ``serverless`` says which kind of Redshift it is; unset, its host does."""
        serverless = is_serverless(connection.host) if connection.serverless is None else connection.serverless
        return cls(_engine(connection.url()), max_errors, CopyOptions.from_block(connection), serverless=serverless)

    def secrets(self) -> tuple[str, ...]:
        return (*super().secrets(), *self.copy.secrets())

    def copy_command(
        self,
        table: sa.Table,
        manifest_url: str,
        file_format: str = "json",
        compression: Compression | None = None,
        max_error: int | None = None,
    ) -> CopyCommand:
        """One COPY of the JSON (or CSV event log) objects the manifest at ``manifest_url`` lists into ``table``.

        ``compression``: how the objects are compressed (one COPY reads one compression); ``max_error``: MAXERROR
        when some of the feed's error budget is spent already (song files rejected while they were compacted).
        """
        csv = file_format == "csv"
        return RoleCopyCommand(
            # CSV maps by position: name the columns in the header's order
            [table.c[name.lower()] for name in EVENT_COLUMNS] if csv else table,
            data_location=manifest_url,
            manifest=True,
            format=Format.csv if csv else Format.json,
            # JSON maps by name: the staging columns are the lower-cased keys, so no JSONPaths file is needed
            path_file="auto ignorecase",
            ignore_header=1 if csv else None,
            compression=compression,
            time_format="epochmillisecs",
            truncate_columns=True,
            # JSON: an empty text stays empty, as on the other engines (CSV: an empty field is NULL there too)
            blanks_as_null=csv,
            empty_as_null=csv,
            comp_update=False,
            stat_update=False,
            # COPY fails at MAXERROR errors; the budget fails a run at more than max_errors
            max_error=self.max_errors + 1 if max_error is None else max_error,
            region=self.copy.region,
            **self.copy.credentials(),
        )

    def run_folder(self, source: S3Located, run_key: str) -> str:
        """The run's own folder beside the source's (or under the manifest prefix): manifests, parts, copies."""
        prefix = self.copy.manifest_prefix or source.object_url(MANIFEST_FOLDER)
        return f"{prefix.rstrip('/')}/{run_key}"

    def manifest_url(self, source: S3Located, run_key: str, feed: str) -> str:
        """Where this run's manifest of ``feed`` goes: outside song_data/ and log_data/, under the run's key."""
        return f"{self.run_folder(source, run_key)}/{feed}.manifest"

    def slice_count(self) -> int:
        """The slices a COPY spreads its files over: STV_SLICES on a provisioned cluster. Serverless has no STV
        tables; there, and where the view shows no slice, the parts are made for
        :data:`~sparkify.warehouse.compaction.FALLBACK_SLICES`."""
        if self.serverless:
            return compaction.FALLBACK_SLICES
        return int(self.scalar("catalog/slices") or 0) or compaction.FALLBACK_SLICES

    def _copy(
        self, table: sa.Table, source: Source, keys: list[str], feed: str, run_key: str, file_format: str = "json"
    ) -> int:
        """COPYs exactly the event logs ``keys`` names, through a manifest; returns the rows the table then holds.

        They are judged first (``records.judge_files``): those rejected whole are not copied, one reject
        each; the gzip ones go in a COPY of their own, with GZIP; a JSON log starting with a byte-order mark is
        copied from a copy without it, written to the run's folder and deleted afterwards (the rules drop it;
        Redshift documents no such thing). The records a COPY skipped (up to MAXERROR) are read back from its
        load errors (SYS_LOAD_ERROR_DETAIL, on provisioned clusters and Serverless alike) into ``rejected_records``,
        replacing the rejects of the objects it read. A COPY that met MAXERROR fails the run with the budget's
        message, its load errors kept.
        """
        if not keys:
            return 0
        source = _s3_located(source)
        files = records.judge_files(source, keys)
        if files.rejections:
            with self.engine.begin() as conn:
                conn.execute(self.statement("locks/lock_tables", {"tables": [schema.rejected_records.name]}))
                self.replace_rejects(conn, run_key, feed, source, sorted(files.rejected), list(files.rejections))
        rewrite = files.bom if file_format == "json" else frozenset()  # CSV's header line, BOM and all, is skipped
        copies: dict[str, str] = {}
        try:
            for key in files.readable:
                if key in rewrite:
                    copies[key] = self._without_bom(source, files, key, run_key)
            for group, gzip, name in (
                ([key for key in files.plain if key not in copies] + list(copies), False, feed),
                ([key for key in files.compressed if key not in copies], True, f"{feed}-gzip"),
            ):
                if group:
                    self._copy_group(table, source, group, copies, feed, name, run_key, file_format, gzip)
        finally:
            for url in copies.values():
                _delete_manifest(source, url)
        return self.row_count(table.name)

    def _copy_group(
        self,
        table: sa.Table,
        source: S3Located,
        keys: list[str],
        copies: dict[str, str],
        feed: str,
        name: str,
        run_key: str,
        file_format: str,
        gzip: bool,
    ) -> None:
        """One COPY of ``keys`` (those in ``copies`` read from their copy there) through the manifest ``name``."""
        objects = [source.object_url(key) for key in keys]
        read = [copies.get(key) or url for key, url in zip(keys, objects, strict=True)]
        compression = Compression.gzip if gzip else None
        command = self.copy_command(table, self.manifest_url(source, run_key, name), file_format, compression)
        manifest = write_manifest(source, command.data_location, read)
        renamed = {copy: url for copy, url in zip(read, objects, strict=True) if copy != url}
        # a staged row no longer knows its file: its rejects name what the COPY read, the same on a re-run
        copied = objects[0] if len(objects) == 1 else f"{len(objects)} objects, {objects[0]} to {objects[-1]}"

        def record_rejects(conn: sa.Connection, copy_started_at: datetime) -> None:
            self.delete_rejects(conn, feed, list(dict.fromkeys([*objects, copied])))
            params = {"run_key": run_key, "feed": feed, "copy_started_at": copy_started_at}
            conn.execute(self.statement("rejects/copy_errors"), params)
            for copy, object_name in renamed.items():
                params = {"run_key": run_key, "feed": feed, "copy": copy, "source_object": object_name}
                conn.execute(self.statement("rejects/rename_object"), params)

        try:
            failure = self._copy_and_screen(command, feed, run_key, record_rejects, copied)
        finally:
            _delete_manifest(source, manifest)
        if failure is not None:
            self._fail(failure, feed, source.uri, run_key)

    def _without_bom(self, source: S3Located, files: records.Files, key: str, run_key: str) -> str:
        """A copy of an event log without its byte-order mark (decompressed, when it was gzip) in the run's folder."""
        url = f"{self.run_folder(source, run_key)}/{key}"
        with files.open(source, key) as stream:  # type: ignore[arg-type]
            body = stream.read().removeprefix(records.BOM)
        try:
            source.write_url(url, body)
        except botocore.exceptions.ClientError as error:
            code = error.response.get("Error", {}).get("Code", "error")
            raise ManifestError(
                f"could not write a copy of {source.object_url(key)} without its byte-order mark to {url} ({code}). "
                "Give an s3:// prefix the flow's credentials may write to and the cluster's role may read: block "
                "field manifest_prefix, or SPARKIFY_MANIFEST_PREFIX."
            ) from error
        return url

    def create_staging(self, table: sa.Table) -> None:
        """The staging table as the screening needs it (:func:`screened_staging`)."""
        super().create_staging(screened_staging(table))

    def _copy_and_screen(
        self,
        command: CopyCommand | None,
        feed: str,
        run_key: str,
        record_rejects: Callable[[sa.Connection, datetime], None],
        copied: str = "",
    ) -> sa.exc.DBAPIError | None:
        """The COPY commits alone; then, in the same session, a transaction that LOCKs rejected_records first,
        records the feed's rejects (``record_rejects``: the COPY's load errors among them), and moves the
        staged rows the screening rejects to rejected_records (named ``copied`` where a row does not know its
        object). With no COPY (no good song file), only the rejects are recorded.

        Returns the COPY's error, if it failed: the load errors of a COPY that met MAXERROR are read back all
        the same; a COPY refused before loading has none (the session's latest COPY would be another one).
        """
        failure = None
        # SYS_LOAD_HISTORY knows the COPY by this session and its start: a little before, for the cluster's clock
        copy_started_at = datetime.now(UTC).replace(tzinfo=None) - COPY_CLOCK_MARGIN
        with self.engine.connect() as conn:
            if command is not None:
                try:
                    with conn.begin():
                        conn.exec_driver_sql(copy_sql(command), execution_options={"no_parameters": True})
                except sa.exc.DBAPIError as error:
                    failure = self._masked(error)
                    if not _met_maxerror(failure):
                        # refused before loading (access, manifest, syntax): its session's last COPY is another one
                        return failure
            with conn.begin():
                conn.execute(self.statement("locks/lock_tables", {"tables": [schema.rejected_records.name]}))
                record_rejects(conn, copy_started_at)
                if command is not None and failure is None:
                    screening = screening_params(run_key, copied, datetime.now(UTC).replace(tzinfo=None))
                    for path in sql.script(f"{SCREENING}/{feed}", self.dialect.name):
                        conn.execute(self.statement(path, {f"staging_{feed}": command.table.name}), screening)
        return failure

    def _fail(self, failure: sa.exc.DBAPIError, feed: str, uri: str, run_key: str) -> NoReturn:
        """A COPY that met MAXERROR fails the run with the budget's message (its load errors kept), else its own."""
        counted = Staged(feed, 0, self.rejected(run_key, feed), files_rejected=self.rejected_files(run_key, feed))
        records.check_budget([counted], self.max_errors, uri, run_key)
        raise failure

    def stage_songs(self, table: sa.Table, source: Source, songs: list[SourceObject], run_key: str = "") -> int:
        """The song files ``songs`` compacted into a few gzip parts, then one COPY of those through a manifest.

        Each file is screened on the way by ``sparkify.records`` (:mod:`~sparkify.warehouse.compaction`), and
        its rejects replace those of the files read, as on PostgreSQL; the COPY's own load errors are traced to
        their song files by part and line. The parts and the manifest are deleted once the COPY has read them.
        """
        if not songs:
            return 0
        keys = [song.key for song in songs]
        s3 = _s3_located(source)
        folder = f"{self.run_folder(s3, run_key)}/songs"
        compacted = compaction.compact_songs(s3, keys, folder, self.slice_count(), self.max_errors)
        command = None
        try:
            if compacted.parts:
                spent = len(compacted.rejections)
                url = self.manifest_url(s3, run_key, "songs")
                command = self.copy_command(
                    table, url, compression=Compression.gzip, max_error=self.max_errors - spent + 1
                )
                write_manifest(s3, url, list(compacted.parts))

            def record_rejects(conn: sa.Connection, copy_started_at: datetime) -> None:
                errors = self._copy_errors(conn, compacted, copy_started_at) if command is not None else []
                self.replace_rejects(conn, run_key, "songs", source, keys, [*compacted.rejections, *errors])

            try:
                failure = self._copy_and_screen(command, "songs", run_key, record_rejects)
            finally:
                if command is not None:
                    _delete_manifest(s3, command.data_location)
        finally:
            compaction.delete_parts(s3, compacted.parts)
        if failure is not None:
            self._fail(failure, "songs", source.uri, run_key)
        return self.row_count(table.name) if command is not None else 0

    def _copy_errors(
        self, conn: sa.Connection, compacted: compaction.Compacted, copy_started_at: datetime
    ) -> list[Rejection]:
        """The last COPY's load errors, each named by the song file its part's line came from."""
        rejections = []
        found = conn.execute(self.statement("rejects/copy_errors_of_parts"), {"copy_started_at": copy_started_at})
        for part, line_number, reason, raw_text in found.all():
            source_object = compacted.source_object(part, line_number)
            name, line = (source_object, 1) if source_object else (part, line_number)
            rejections.append(Rejection(name, line, reason, (raw_text or "")[:RAW_TEXT_CHARS]))
        return rejections

    def _masked(self, error: sa.exc.DBAPIError) -> sa.exc.DBAPIError:
        """SQLAlchemy puts the statement in its errors: a COPY with access keys holds them."""
        for secret in self.copy.secrets():
            error.statement = (error.statement or "").replace(secret, MASK)
        return error

    def stage_events(self, table: sa.Table, source: Source, keys: list[str], run_key: str = "") -> int:
        return self._copy(table, source, keys, "events", run_key, source.events_format)


def _s3_located(source: Source) -> S3Located:
    """The source, if Redshift can read it: COPY reads from S3 only."""
    if not isinstance(source, S3Located):
        raise SourceError(
            f"Redshift loads with COPY, which reads from S3: {source.uri} is not in S3. "
            "Give an s3://bucket/prefix source (or load a local folder into DuckDB or PostgreSQL)."
        )
    return source


def write_manifest(source: S3Located, url: str, objects: list[str]) -> str:
    """Writes the COPY manifest naming exactly ``objects`` (each mandatory) at ``url``; returns ``url``."""
    body = json.dumps({"entries": [{"url": name, "mandatory": True} for name in objects]}, indent=1)
    compaction.write_object(source, url, body.encode(), "Redshift's COPY manifest")
    return url


def _delete_manifest(source: S3Located, url: str) -> None:
    """The COPY has read it, a manifest or a copy (its load errors name the objects): a leftover is untidy only."""
    try:
        source.delete_url(url)
    except botocore.exceptions.ClientError as error:
        logger.warning("could not delete %s, which the COPY read (%s): grant s3:DeleteObject on its prefix", url, error)


def _met_maxerror(error: sa.exc.DBAPIError) -> bool:
    """A COPY that loaded and met MAXERROR: Redshift then points at its load error log (STL or SYS)."""
    return "load_error" in str(error.orig).lower()


def _engine(url: sa.URL) -> Engine:
    # values travel as bound parameters in every statement but COPY: never print them in errors or echo
    return sa.create_engine(url, hide_parameters=True)
