"""Prefect blocks that hold the production connections, so no password travels in a URL.

A block is saved once on the Prefect server (secrets encrypted there, masked in
the UI) and runs name it: ``sparkify_etl(warehouse_block="prod")``. Register the
type with ``prefect block register -m sparkify.blocks``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from prefect.blocks.core import Block
from prefect_aws import AwsCredentials
from pydantic import Field, SecretStr

from sparkify.settings import MAX_ERROR_BUDGET, Driver


class WarehouseConnection(Block):
    """Where the star schema lives, how to log in, and how Redshift's COPY reads the source bucket."""

    _block_type_name = "Sparkify Warehouse Connection"
    _block_type_slug = "sparkify-warehouse-connection"
    _description = (
        "The warehouse the Sparkify ETL loads: DuckDB file, PostgreSQL or Amazon Redshift, "
        "with the login and, for Redshift, the IAM role (or AWS keys) COPY reads S3 with."
    )

    driver: Driver = Field(default="duckdb", description="SQLAlchemy dialect and driver of the warehouse.")
    database: str = Field(description="Database name; for DuckDB, the path of the database file.")
    host: str | None = Field(default=None, description="Server host (not for DuckDB).")
    port: int | None = Field(default=None, description="Server port; the driver's default when empty.")
    user: str | None = Field(default=None, description="Login user.")
    password: SecretStr | None = Field(default=None, description="Login password.")
    iam_role_arn: str | None = Field(
        default=None,
        description="IAM role the Redshift cluster assumes to read the source bucket in COPY (preferred over keys).",
    )
    region: str | None = Field(
        default=None, description="AWS region of the source bucket, when it is not the Redshift cluster's."
    )
    aws_credentials: AwsCredentials | None = Field(
        default=None, description="Access keys Redshift's COPY uses when no IAM role is given."
    )
    copy_max_error: int | None = Field(
        default=None,
        ge=0,
        le=MAX_ERROR_BUDGET,
        description=(
            "Bad records a feed may have before the run fails; also Redshift COPY's MAXERROR "
            "(default: SPARKIFY_COPY_MAX_ERROR, 100)."
        ),
    )
    manifest_prefix: str | None = Field(
        default=None,
        description=(
            "s3:// prefix the flow may write Redshift COPY manifests to (default: the source's manifests/ folder, "
            "or SPARKIFY_MANIFEST_PREFIX); a read-only source bucket needs one."
        ),
    )
    serverless: bool | None = Field(
        default=None,
        description=(
            "Redshift Serverless: COPY's load errors are read from SYS_LOAD_ERROR_DETAIL (it has no STL tables). "
            "Default: a host ending in .redshift-serverless.amazonaws.com is Serverless; set it behind another name."
        ),
    )

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        # prefect-aws keeps the session token as plain text: at least our repr masks it
        for name, value in super().__repr_args__():
            if name == "aws_credentials" and value is not None and value.aws_session_token:
                value = value.model_copy(update={"aws_session_token": "**********"})
            yield name, value

    def url(self) -> sa.URL:
        """The SQLAlchemy URL; it holds the password but renders it as ``***`` in str() and repr()."""
        return sa.URL.create(
            self.driver,
            username=self.user,
            password=self.password.get_secret_value() if self.password else None,
            host=self.host,
            port=self.port,
            database=self.database,
        )
