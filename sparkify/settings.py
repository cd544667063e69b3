"""Every ``SPARKIFY_*`` setting in one typed, validated, described place, read when a run needs it.

``get_settings()`` reads the environment each time it is called, never at import, so a
value set after start-up (a test, a worker's job variables) is the one a run sees. An
empty variable counts as unset, as in a CI template left blank. The README's table of
settings is this class, field for field.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from sparkify.errors import PipelineError

ENV_PREFIX = "SPARKIFY_"
#: The default source: the generator writes the sample feeds there when the folder is missing.
SAMPLE_SOURCE = "data/sample"

#: The largest error budget: Redshift's COPY takes MAXERROR up to 100,000 and is sent the budget + 1.
MAX_ERROR_BUDGET = 99_999

#: The SQLAlchemy dialect+driver of each supported warehouse engine.
Driver = Literal["duckdb", "postgresql+psycopg", "redshift+redshift_connector"]


class SettingsError(PipelineError):
    """A ``SPARKIFY_*`` variable holds a value the pipeline cannot use."""


class Settings(BaseSettings):
    """The pipeline's settings; each field is the environment variable ``SPARKIFY_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_ignore_empty=True, extra="ignore", frozen=True)

    # -- what a run loads, and where (the command line's and the flow's defaults)
    source: str = Field(
        default=SAMPLE_SOURCE,
        description="Folder or s3://bucket/prefix holding song_data/ and log_data/; the default sample is "
        "generated there on first use.",
    )
    warehouse: str = Field(
        default="duckdb:///data/sparkify.duckdb",
        description="SQLAlchemy URL of the warehouse; the default is an embedded DuckDB file.",
    )
    # -- failures
    task_retries: int = Field(
        default=3, ge=0, description="Retries of a task after a transient fault (lost connection, lock, S3 5xx)."
    )
    retry_delay_seconds: float = Field(default=300, ge=0, description="Wait between two tries of a task.")
    copy_max_error: int = Field(
        default=100,
        ge=0,
        le=MAX_ERROR_BUDGET,
        description="Error budget: bad records a feed may have before the run fails (each is kept in "
        "rejected_records). A WarehouseConnection block's copy_max_error and the run's max_errors win over it.",
    )
    # -- Redshift's COPY, for a warehouse given by URL (a WarehouseConnection block's fields win over these)
    copy_iam_role: str | None = Field(
        default=None, description="IAM role ARN the Redshift cluster assumes to read the source bucket."
    )
    copy_region: str | None = Field(
        default=None, description="AWS region of the source bucket, when it is not the Redshift cluster's."
    )
    manifest_prefix: str | None = Field(
        default=None,
        description="s3:// prefix Redshift's COPY manifests are written to (default: the source's manifests/ "
        "folder); a read-only source bucket such as udacity-dend needs one. A block's manifest_prefix wins.",
    )
    lookback_days: float = Field(
        default=2,
        ge=0,
        description="Late events: each run re-examines the event files of this many UTC days before its window and "
        "reloads the earlier windows loaded from a file that changed since (the flow's lookback_days).",
    )
    # -- what an unattended run judges: freshness, delivery and volume (warn, then error)
    freshness_warn_minutes: float = Field(
        default=120, ge=0, description="A run warns when the newest play is older than its window's end by more."
    )
    freshness_error_minutes: float = Field(
        default=1440, gt=0, description="A run fails when the newest play is older than its window's end by more."
    )
    missing_file_error_hours: float = Field(
        default=6,
        ge=0,
        description="A day file missing (or unreadable) warns; this many hours after the window's end it fails the "
        "run.",
    )
    volume_warn_ratio: float = Field(
        default=0.5,
        ge=0,
        description="A window warns when its plays are below this share of the median of the same window on the 7 "
        "days before.",
    )
    volume_error_ratio: float = Field(
        default=0.1, ge=0, description="A window fails when its plays are below this share of that median."
    )
    volume_min_plays: float = Field(
        default=20, ge=0, description="The volume check judges only windows whose 7-day median reaches this many plays."
    )
    # -- what `python -m deployments.blocks` saves (AWS keys come from the standard AWS_* variables)
    s3_bucket: str | None = Field(default=None, description="Bucket of the s3:// source, saved as an S3Bucket block.")
    aws_block: str = Field(default="sparkify-aws", description="Name the AwsCredentials block is saved under.")
    s3_block: str = Field(default="sparkify-s3", description="Name the S3Bucket block is saved under.")
    warehouse_block: str = Field(
        default="sparkify-warehouse", description="Name the WarehouseConnection block is saved under."
    )
    warehouse_database: str | None = Field(
        default=None, description="Database of the WarehouseConnection block (for DuckDB, the file's path)."
    )
    warehouse_driver: Driver = Field(default="duckdb", description="Dialect and driver of that warehouse.")
    warehouse_host: str | None = Field(default=None, description="Server host of that warehouse.")
    warehouse_port: int | None = Field(default=None, gt=0, lt=65536, description="Server port of that warehouse.")
    warehouse_user: str | None = Field(default=None, description="Login user of that warehouse.")
    warehouse_password: SecretStr | None = Field(
        default=None,
        description="Login password of that warehouse; also the password of a --warehouse URL given without one.",
    )
    # -- alerts (deployments/README.md): the Webhook block `python -m deployments.blocks` saves, and the automations
    alert_webhook_url: SecretStr | None = Field(
        default=None,
        description="Incoming-webhook URL alerts are posted to (a Slack incoming webhook, say), saved as the "
        "Webhook block `sparkify-alerts`. A secret: never printed.",
    )
    alert_missed_run_minutes: float = Field(
        default=75,
        ge=1 / 6,
        description="Minutes without a completed run of sparkify-etl/hourly before the missed-run alert fires "
        "(the hour plus a margin), applied by `python -m deployments.automations`.",
    )


def get_settings() -> Settings:
    """The settings the environment holds now; a bad value is a :class:`SettingsError` naming its variable."""
    try:
        return Settings()
    except ValidationError as error:
        # never the value itself: it may be a password
        problems = [f"{ENV_PREFIX}{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in error.errors()]
        raise SettingsError("invalid setting: " + "; ".join(problems)) from None


def settings_table() -> str:
    """The settings as the README's markdown table: variable, default, meaning."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = "" if field.default is None else f"`{field.default}`"
        rows.append(f"| `{ENV_PREFIX}{name.upper()}` | {default} | {field.description} |")
    return "\n".join(rows)
