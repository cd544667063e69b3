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


def is_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Retry only what may succeed next time; a failed check or bad input fails the run now."""
    error = state.data
    return isinstance(error, TRANSIENT_ERRORS)


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
