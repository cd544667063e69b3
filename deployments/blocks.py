"""``python -m deployments.blocks``: create or update, from environment variables, the blocks production runs name.

Run it where the secrets are (a CI job, a shell fed by the vault), pointed at the
Prefect server (``PREFECT_API_URL``); run it again whenever a credential rotates.
Secrets go to the server's block storage, shown masked in the UI, and are never
printed. Saving a block registers its type; ``prefect block register -m prefect_aws``
and ``-m sparkify.blocks`` list the types in the UI before any is saved.

AWS credentials (block ``$SPARKIFY_AWS_BLOCK``, default ``sparkify-aws``; saved when a block below uses it):
    AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION (or AWS_DEFAULT_REGION),
    AWS_PROFILE, AWS_ENDPOINT_URL (an S3-compatible endpoint); none set means the machine's own credentials.
Source bucket (S3Bucket block ``$SPARKIFY_S3_BLOCK``, default ``sparkify-s3``: the flow's ``s3_block``):
    SPARKIFY_S3_BUCKET, the bucket of the ``s3://bucket/prefix`` source.
Warehouse (WarehouseConnection block ``$SPARKIFY_WAREHOUSE_BLOCK``, default ``sparkify-warehouse``: the flow's
``warehouse_block``):
    SPARKIFY_WAREHOUSE_DATABASE, SPARKIFY_WAREHOUSE_DRIVER (duckdb, postgresql+psycopg, redshift+redshift_connector),
    SPARKIFY_WAREHOUSE_HOST, SPARKIFY_WAREHOUSE_PORT, SPARKIFY_WAREHOUSE_USER, SPARKIFY_WAREHOUSE_PASSWORD,
    SPARKIFY_COPY_IAM_ROLE, SPARKIFY_COPY_REGION, SPARKIFY_COPY_MAX_ERROR, SPARKIFY_MANIFEST_PREFIX (Redshift's
    COPY). Without an IAM role, COPY uses the AWS access keys above.
Alerts (Webhook block ``sparkify-alerts``: the block deployments/automations.yaml posts alerts through):
    SPARKIFY_ALERT_WEBHOOK_URL, a Slack incoming webhook's URL say; saved alone when nothing else is set.
Every SPARKIFY_* variable is a field of ``sparkify.settings.Settings``, described there and in the README.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from prefect.blocks.webhook import Webhook
from prefect_aws import AwsClientParameters, AwsCredentials, S3Bucket

from sparkify.blocks import WarehouseConnection
from sparkify.settings import Settings, SettingsError, get_settings

#: The Webhook block alerts go through: deployments/automations.yaml names it as ``webhook/sparkify-alerts``.
ALERT_BLOCK = "sparkify-alerts"


class MissingSetting(ValueError):
    """Nothing in the environment says what to save."""


@dataclass(frozen=True)
class Saved:
    """A block that was saved: its type and name, nothing of its content."""

    block_type: str
    name: str

    def __str__(self) -> str:
        return f"{self.block_type}/{self.name}"


def _get(env: Mapping[str, str], name: str) -> str | None:
    """An empty variable counts as unset, as in a CI template left blank."""
    return env.get(name) or None


def aws_credentials(env: Mapping[str, str]) -> AwsCredentials:
    """The AWS credentials the environment holds; with none, boto3's default chain on the machine running the flow."""
    endpoint = _get(env, "AWS_ENDPOINT_URL")
    return AwsCredentials(
        aws_access_key_id=_get(env, "AWS_ACCESS_KEY_ID"),
        aws_secret_access_key=_get(env, "AWS_SECRET_ACCESS_KEY"),
        aws_session_token=_get(env, "AWS_SESSION_TOKEN"),
        profile_name=_get(env, "AWS_PROFILE"),
        region_name=_get(env, "AWS_REGION") or _get(env, "AWS_DEFAULT_REGION"),
        aws_client_parameters=AwsClientParameters(endpoint_url=endpoint) if endpoint else AwsClientParameters(),
    )


def s3_bucket(configured: Settings, credentials: AwsCredentials) -> S3Bucket | None:
    bucket = configured.s3_bucket
    return S3Bucket(bucket_name=bucket, credentials=credentials) if bucket else None


def warehouse_connection(configured: Settings, credentials: AwsCredentials) -> WarehouseConnection | None:
    if configured.warehouse_database is None:
        return None
    role = configured.copy_iam_role
    # COPY reads S3 with the role when there is one (Redshift's advice), else with access keys
    keys = credentials if role is None and credentials.aws_access_key_id else None
    return WarehouseConnection(
        driver=configured.warehouse_driver,
        database=configured.warehouse_database,
        host=configured.warehouse_host,
        port=configured.warehouse_port,
        user=configured.warehouse_user,
        password=configured.warehouse_password,
        iam_role_arn=role,
        region=configured.copy_region,
        # only a budget set here is saved: unset, runs keep following SPARKIFY_COPY_MAX_ERROR where they run
        copy_max_error=configured.copy_max_error if "copy_max_error" in configured.model_fields_set else None,
        manifest_prefix=configured.manifest_prefix,
        aws_credentials=keys,
    )


def alert_webhook(configured: Settings) -> Webhook | None:
    """The Webhook block alerts are posted through, sending JSON (Slack's incoming webhooks want the header)."""
    if configured.alert_webhook_url is None:
        return None
    parts = urlsplit(configured.alert_webhook_url.get_secret_value())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        # the URL is the secret: say what is wrong with it, never what it is
        raise ValueError("SPARKIFY_ALERT_WEBHOOK_URL: not an http(s):// URL")
    return Webhook(url=configured.alert_webhook_url, headers={"Content-Type": "application/json"})


def save_blocks(configured: Settings, env: Mapping[str, str]) -> list[Saved]:
    """Saves (overwriting) every block the settings describe; the credentials first, the others refer to them."""
    credentials = aws_credentials(env)
    bucket = s3_bucket(configured, credentials)
    warehouse = warehouse_connection(configured, credentials)
    webhook = alert_webhook(configured)
    if bucket is None and warehouse is None and webhook is None:
        raise MissingSetting(
            "nothing to save: set SPARKIFY_S3_BUCKET, SPARKIFY_WAREHOUSE_DATABASE and/or SPARKIFY_ALERT_WEBHOOK_URL"
        )
    saved = []
    if bucket is not None or (warehouse is not None and warehouse.aws_credentials is not None):
        credentials.save(configured.aws_block, overwrite=True)
        saved.append(Saved("aws-credentials", configured.aws_block))
    if bucket is not None:
        bucket.save(configured.s3_block, overwrite=True)
        saved.append(Saved("s3-bucket", configured.s3_block))
    if warehouse is not None:
        warehouse.save(configured.warehouse_block, overwrite=True)
        saved.append(Saved("sparkify-warehouse-connection", configured.warehouse_block))
    if webhook is not None:
        webhook.save(ALERT_BLOCK, overwrite=True)
        saved.append(Saved("webhook", ALERT_BLOCK))
    return saved


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(
        prog="python -m deployments.blocks", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    ).parse_args(argv)
    try:
        saved = save_blocks(get_settings(), os.environ)
    except (ValueError, SettingsError) as error:  # pydantic's ValidationError included: names, never secret values
        print(f"deployments.blocks: {error}", file=sys.stderr)
        return 2
    for block in saved:
        print(f"saved {block}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
