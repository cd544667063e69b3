"""The retry policy every task shares: transient faults retry, mistakes fail at once."""

from __future__ import annotations

from typing import Any

import botocore.exceptions
import sqlalchemy.exc
from prefect.cache_policies import NONE

from sparkify.settings import get_settings

#: Exceptions a later attempt can outlive: lost connections, locks held by another run, timeouts.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    ConnectionError,
    TimeoutError,
    # S3: botocore retries a request's own failures (5xx, SlowDown, refused connections) with backoff;
    # a body cut off or stalled while it streams, or retries used up on an unreachable endpoint, end here
    botocore.exceptions.HTTPClientError,  # ResponseStreamingError, ReadTimeoutError, ConnectionClosedError
    botocore.exceptions.ConnectionError,  # EndpointConnectionError, ConnectTimeoutError
    botocore.exceptions.IncompleteReadError,
)


#: Redshift's serializable isolation violation: SQLSTATE XX000 (internal error, like many others) whose message is
#: the code 1023. redshift_connector raises it as ProgrammingError with the server's fields as a dict.
SERIALIZABLE_ABORT = {"C": "XX000", "M": "1023"}
#: PostgreSQL's (and Redshift snapshot isolation's) serialization failure.
SERIALIZATION_FAILURE = "40001"


def is_serialization_abort(error: BaseException) -> bool:
    """A transaction aborted by a concurrent one: running it again can succeed. Not any ProgrammingError."""
    if not isinstance(error, sqlalchemy.exc.DBAPIError):
        return False
    fields = error.orig.args[0] if error.orig is not None and error.orig.args else None
    if not isinstance(fields, dict):
        return False
    return fields.get("C") == SERIALIZATION_FAILURE or all(
        str(fields.get(key, "")).strip() == value for key, value in SERIALIZABLE_ABORT.items()
    )


def is_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Retry only what may succeed next time; a failed check or bad input fails the run now."""
    error = state.data
    return isinstance(error, TRANSIENT_ERRORS) or is_serialization_abort(error)


def task_options() -> dict[str, Any]:
    """Keyword arguments for ``@task``: no result caching (every run must really load), the DAG's retries.

    Prefect fixes a task's retries when the task is defined, so these settings are read when ``tasks`` is imported.
    """
    configured = get_settings()
    return {
        "cache_policy": NONE,
        "retries": configured.task_retries,
        "retry_delay_seconds": configured.retry_delay_seconds,
        "retry_condition_fn": is_transient,
    }


TASK_OPTIONS = task_options()
