"""Amazon Redshift: the cluster itself copies the raw files from S3, in parallel across its slices.

Staging is Redshift's ``COPY``, built by sqlalchemy-redshift's ``CopyCommand`` (it
validates the credentials and quotes every value); nothing streams through this
process. A full load copies each S3 folder with one statement; a window copies
its day files, one statement each, in one transaction. The star schema's
distribution and sort keys come from ``sparkify.schema``'s table options.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import sqlalchemy as sa
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from sqlalchemy_redshift.commands import CopyCommand, Format

from sparkify import settings
from sparkify.sources import EVENT_COLUMNS, LOG_PREFIX, SONG_PREFIX, Source, SourceError
from sparkify.warehouse.base import Warehouse
from sparkify.window import Window

if TYPE_CHECKING:
    from sparkify.blocks import WarehouseConnection


#: Redshift Serverless endpoints: ``<workgroup>.<account>.<region>.redshift-serverless.amazonaws.com[.cn]``.
SERVERLESS_DOMAINS = (".redshift-serverless.amazonaws.com", ".redshift-serverless.amazonaws.com.cn")


def is_serverless(host: str | None) -> bool:
    """A Serverless workgroup's endpoint: it has only the SYS monitoring views, none of the STL tables."""
    return host is not None and host.lower().rstrip(".").endswith(SERVERLESS_DOMAINS)


class CopyConfigError(ValueError):
    """Redshift's COPY has no way to read the source bucket."""


@runtime_checkable
class S3Located(Protocol):
    """A source whose objects Redshift can read itself: it names them by s3:// URL."""

    def object_url(self, key: str) -> str: ...


@dataclass(frozen=True)
class CopyOptions:
    """How COPY reads S3: an IAM role the cluster assumes (preferred) or access keys; region; error budget."""

    iam_role_arn: str | None = None
    access_key_id: str | None = None
    secret_access_key: SecretStr | None = None
    session_token: SecretStr | None = None
    region: str | None = None
    max_error: int = 0

    @classmethod
    def from_settings(cls) -> CopyOptions:
        """For a plain ``redshift+redshift_connector://`` URL: the role and region from the environment."""
        return cls(iam_role_arn=settings.COPY_IAM_ROLE, region=settings.COPY_REGION, max_error=settings.COPY_MAX_ERROR)

    @classmethod
    def from_block(cls, connection: WarehouseConnection) -> CopyOptions:
        """The block's role, or else its AWS keys; unset values fall back to the environment's."""
        aws = connection.aws_credentials
        role = connection.iam_role_arn or (settings.COPY_IAM_ROLE if aws is None else None)
        keys = aws if role is None else None
        token = keys.aws_session_token if keys else None
        return cls(
            iam_role_arn=role,
            access_key_id=keys.aws_access_key_id if keys else None,
            secret_access_key=keys.aws_secret_access_key if keys else None,
            session_token=SecretStr(token) if token else None,
            region=connection.region or (aws.region_name if aws else None) or settings.COPY_REGION,
            max_error=settings.COPY_MAX_ERROR if connection.copy_max_error is None else connection.copy_max_error,
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
    """Stages with ``COPY … FROM 's3://…'``: the cluster reads the bucket, this process only sends SQL."""

    takes_table_locks = True

    def __init__(self, engine: Engine, copy: CopyOptions, serverless: bool = False) -> None:
        super().__init__(engine)
        self.copy = copy
        # one number governs all engines: the block's (or environment's) COPY budget is the run's
        self.max_errors = copy.max_error
        # Serverless has no STL_LOAD_ERRORS: COPY's load errors are read from SYS_LOAD_ERROR_DETAIL there
        self.serverless = serverless

    @classmethod
    def from_url(cls, url: sa.URL) -> Warehouse:
        return cls(_engine(url), CopyOptions.from_settings(), serverless=is_serverless(url.host))

    @classmethod
    def from_connection(cls, connection: WarehouseConnection) -> Warehouse:
        """The block's ``serverless`` says which kind of Redshift it is; unset, its host does."""
        serverless = is_serverless(connection.host) if connection.serverless is None else connection.serverless
        return cls(_engine(connection.url()), CopyOptions.from_block(connection), serverless=serverless)

    def secrets(self) -> tuple[str, ...]:
        return (*super().secrets(), *self.copy.secrets())

    def copy_command(self, table: sa.Table, location: str, file_format: str = "json") -> CopyCommand:
        """One COPY of the JSON (or CSV event log) objects at ``location``, a key or a prefix, into ``table``."""
        csv = file_format == "csv"
        return CopyCommand(
            # CSV maps by position: name the columns in the header's order
            [table.c[name.lower()] for name in EVENT_COLUMNS] if csv else table,
            data_location=location,
            format=Format.csv if csv else Format.json,
            # JSON maps by name: the staging columns are the lower-cased keys, so no JSONPaths file is needed
            path_file="auto ignorecase",
            ignore_header=1 if csv else None,
            time_format="epochmillisecs",
            truncate_columns=True,
            blanks_as_null=True,
            empty_as_null=True,
            comp_update=False,
            stat_update=False,
            max_error=self.max_errors,
            region=self.copy.region,
            **self.copy.credentials(),
        )

    def _copy(
        self, table: sa.Table, source: Source, keys: list[str], feed: str, run_key: str, file_format: str = "json"
    ) -> int:
        """COPYs every key (or prefix) in one transaction; returns the rows the table then holds.

        The records each COPY skipped (up to MAXERROR) are read back from its load errors into
        ``rejected_records``, replacing the rejects of the objects it read: from STL_LOAD_ERRORS on a
        provisioned cluster (it keeps the raw line), from SYS_LOAD_ERROR_DETAIL on Serverless (no STL there).
        """
        if not keys:
            return 0
        if not isinstance(source, S3Located):
            raise SourceError(
                f"Redshift loads with COPY, which reads from S3: {source.uri} is not in S3. "
                "Give an s3://bucket/prefix source (or load a local folder into DuckDB or PostgreSQL)."
            )
        locations = [source.object_url(key) for key in keys]
        commands = [self.copy_command(table, location, file_format) for location in locations]
        load_errors = "rejects/copy_errors_serverless" if self.serverless else "rejects/copy_errors"
        with self.engine.begin() as conn:
            for location, command in zip(locations, commands, strict=True):
                report = {"run_key": run_key, "feed": feed, "pattern": f"{location}%"}
                conn.execute(command)
                conn.execute(self.statement("rejects/delete_prefix"), report)
                conn.execute(self.statement(load_errors), report)
        return self.row_count(table.name)

    def stage_events(self, table: sa.Table, source: Source, keys: list[str], run_key: str = "") -> int:
        return self._copy(table, source, keys, "events", run_key, source.events_format)

    def stage_songs(self, table: sa.Table, source: Source, keys: list[str], run_key: str = "") -> int:
        return self._copy(table, source, keys, "songs", run_key)

    def stage_event_files(self, table: sa.Table, source: Source, window: Window, run_key: str = "") -> int:
        """A full load copies the whole ``log_data/`` folder in one statement; a window, its day files."""
        if window.is_everything:
            return self._copy(table, source, [f"{LOG_PREFIX}/"], "events", run_key, source.events_format)
        return super().stage_event_files(table, source, window, run_key)

    def stage_song_files(
        self, table: sa.Table, source: Source, run_key: str = "", keys: list[str] | None = None
    ) -> int:
        """The whole catalog is one COPY of the ``song_data/`` folder; known keys (new or changed files) alone."""
        if keys is None:
            return self._copy(table, source, [f"{SONG_PREFIX}/"], "songs", run_key)
        return self.stage_songs(table, source, keys, run_key)


def _engine(url: sa.URL) -> Engine:
    # COPY's credentials travel as a bound parameter: never print parameters in errors or echo
    return sa.create_engine(url, hide_parameters=True)
