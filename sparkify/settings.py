"""Defaults of the embedded set-up, overridable through the environment.

Imported before Prefect runs anything: these machines have no internet, so
Prefect's telemetry is switched off unless the operator says otherwise.
"""

from __future__ import annotations

import os

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

#: A local folder laid out like the S3 bucket; created by the generator when missing.
DEFAULT_SOURCE = os.environ.get("SPARKIFY_SOURCE", "data/sample")
#: The embedded warehouse: a DuckDB file, no server needed.
DEFAULT_WAREHOUSE = os.environ.get("SPARKIFY_WAREHOUSE", "duckdb:///data/sparkify.duckdb")

#: The original DAG's policy: three retries, five minutes apart, for transient failures only.
TASK_RETRIES = int(os.environ.get("SPARKIFY_TASK_RETRIES", "3"))
RETRY_DELAY_SECONDS = float(os.environ.get("SPARKIFY_RETRY_DELAY_SECONDS", "300"))

#: Redshift COPY, for a warehouse given by URL (a WarehouseConnection block overrides them): the IAM role
#: the cluster assumes to read the source bucket, the bucket's region when it is not the cluster's.
COPY_IAM_ROLE = os.environ.get("SPARKIFY_COPY_IAM_ROLE") or None
COPY_REGION = os.environ.get("SPARKIFY_COPY_REGION") or None
#: The error budget of every engine: bad records a feed (events, songs) may have before the run fails; it is
#: also Redshift COPY's MAXERROR. 100 lets a few damaged lines or files through (each kept in rejected_records)
#: while a feed that is broken as a whole (a day file of another format: hundreds of bad lines) fails the run.
COPY_MAX_ERROR = int(os.environ.get("SPARKIFY_COPY_MAX_ERROR", "100"))
#: Late events: each run re-examines the event files of this many UTC days before its window and reloads the
#: earlier windows loaded from a file that changed since (the flow's ``lookback_days``, ``--lookback-days``).
LOOKBACK_DAYS = float(os.environ.get("SPARKIFY_LOOKBACK_DAYS", "2"))
