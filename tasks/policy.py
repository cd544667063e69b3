"""The tasks' shared policy and the runner the flow walks the pipeline with.

Transient faults retry, mistakes fail at once. Each task is registered for the step of ``sparkify.steps`` it
carries out; the run's retries are applied when it runs (``TaskRunner``), from its resolved configuration, so no
setting is read when this module is imported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import botocore.exceptions
import sqlalchemy.exc
from prefect import Task, task
from prefect.cache_policies import NONE
from prefect.futures import PrefectFuture

from sparkify import steps
from sparkify.errors import PipelineError

T = TypeVar("T")

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
#: SQLSTATEs no retry outlives, though drivers raise them as OperationalError: a refused login (28), a syntax or
#: permission error (42), a database that does not exist (3D000), a cancelled statement (57014), a read-only
#: transaction (25006).
PERMANENT_SQLSTATES = ("28", "42", "3D000", "57014", "25006")
#: What the drivers say, without a SQLSTATE, of what no retry outlives either: psycopg of a refused login or a missing
#: database while it connects (libpq gives no SQLSTATE then), DuckDB of a file another process holds or nobody may
#: write, and of a statement it cannot parse.
PERMANENT_MESSAGES = (
    "authentication failed",
    "no password supplied",
    "does not exist",
    "could not set lock on file",
    "permission denied",
    "operation not permitted",
    "read-only",
    "cannot open file",
    "syntax error",
)


def _sqlstate(error: sqlalchemy.exc.DBAPIError) -> str | None:
    """The server's SQLSTATE: psycopg's attribute, or the field redshift_connector keeps in its arguments."""
    orig = error.orig
    if orig is None:
        return None
    state = getattr(orig, "sqlstate", None)
    if state:
        return str(state)
    fields = orig.args[0] if orig.args else None
    return str(fields.get("C", "")).strip() or None if isinstance(fields, dict) else None


def is_serialization_abort(error: BaseException) -> bool:
    """A transaction aborted by a concurrent one: running it again can succeed. Not any ProgrammingError."""
    if not isinstance(error, sqlalchemy.exc.DBAPIError):
        return False
    fields = error.orig.args[0] if error.orig is not None and error.orig.args else None
    if _sqlstate(error) == SERIALIZATION_FAILURE:
        return True
    return isinstance(fields, dict) and all(
        str(fields.get(key, "")).strip() == value for key, value in SERIALIZABLE_ABORT.items()
    )


def is_permanent(error: BaseException) -> bool:
    """A mistake a person must fix: a pipeline error, a refused login, a syntax or permission error, a held file."""
    if isinstance(error, PipelineError):
        return True
    if isinstance(error, sqlalchemy.exc.DBAPIError):
        state = _sqlstate(error) or ""
        message = str(error.orig).lower()
        return state.startswith(PERMANENT_SQLSTATES) or any(text in message for text in PERMANENT_MESSAGES)
    return False


def is_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Retry only what may succeed next time; a failed check, bad input or a mistake fails the run now."""
    error = state.data
    if is_permanent(error):
        return False
    return isinstance(error, TRANSIENT_ERRORS) or is_serialization_abort(error)


#: The task carrying out each step.
TASKS: dict[Callable[..., Any], Task[Any, Any]] = {}
#: The steps whose task declares its own retries, which the run's do not replace.
OWN_RETRIES: set[Callable[..., Any]] = set()


def step_task(step: Callable[..., Any], **options: Any) -> Callable[[Callable[..., T]], Task[..., T]]:
    """Makes ``function`` the Prefect task of ``step``, named as the step is: no result caching (every run must
    really load), retries only for transient faults. A task given ``retries`` keeps them whatever the run's are
    (``check-connections``: 0, a run that cannot reach the warehouse or the source stops at once)."""

    def make(function: Callable[..., T]) -> Task[..., T]:
        made = task(name=steps.name_of(step), cache_policy=NONE, retry_condition_fn=is_transient, **options)(function)
        TASKS[step] = made
        if "retries" in options:
            OWN_RETRIES.add(step)
        return made

    return make


@dataclass(frozen=True)
class TaskRunner:
    """Carries out the pipeline's steps as Prefect tasks, with the run's retries (the original DAG's: 3, 5 min)."""

    retries: int
    retry_delay_seconds: float

    def _task(self, step: Callable[..., T]) -> Task[..., T]:
        if step in OWN_RETRIES:
            return TASKS[step]
        return TASKS[step].with_options(retries=self.retries, retry_delay_seconds=self.retry_delay_seconds)

    def call(self, step: Callable[..., T], *args: Any) -> T:
        """Submitted, then waited for: it queues behind the steps submitted before it, as ``plan`` shows them."""
        return self.submit(step, *args).result()

    def submit(self, step: Callable[..., T], *args: Any) -> PrefectFuture[T]:
        return self._task(step).submit(*args)
