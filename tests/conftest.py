"""Shared pytest fixtures for the Sparkify Pipelines test suite."""

from __future__ import annotations

import contextlib
import functools
import os
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TypeVar

# Before anything imports Prefect or the pipeline's settings: no telemetry, no 5-minute retry waits.
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["SPARKIFY_RETRY_DELAY_SECONDS"] = "0"

import pytest
from prefect.testing.utilities import prefect_test_harness

from bench.services import (
    PostgresServer,
    PrefectServer,
    S3Server,
    ServiceUnavailable,
    create_database,
    drop_database,
    moto_s3_server,
    postgres_server,
    prefect_server,
)

# ============================================================================
# BEGIN real-service fixtures (bench/services.py): postgres, pg_url, s3_server,
# prefect_api. A missing service skips the test, or fails it when
# SPARKIFY_REQUIRE_SERVICES=1 (CI sets it).
# ============================================================================

T = TypeVar("T")


def _services_required() -> bool:
    """Whether a missing service must fail the run instead of skipping (CI)."""
    return os.environ.get("SPARKIFY_REQUIRE_SERVICES", "") == "1"


def _run_service(factory: Callable[[], AbstractContextManager[T]]) -> Iterator[T]:
    """Start a service for a fixture; skip (or fail in CI) if it is unavailable."""
    with contextlib.ExitStack() as stack:
        try:
            service = stack.enter_context(factory())
        except ServiceUnavailable as exc:
            reason = exc.reason  # skip/fail outside the handler: no chained traceback
        else:
            yield service
            return
    if _services_required():
        pytest.fail(f"required service unavailable: {reason}", pytrace=False)
    pytest.skip(f"service unavailable: {reason}")


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A throw-away PostgreSQL 15 server for the whole test session."""
    yield from _run_service(postgres_server)


@pytest.fixture
def pg_url(postgres: PostgresServer, request: pytest.FixtureRequest) -> Iterator[str]:
    """SQLAlchemy URL of a fresh, empty database created for this test only."""
    slug = re.sub(r"[^a-z0-9_]+", "_", request.node.name.lower()).strip("_")[:40]
    name = f"t_{slug}_{uuid.uuid4().hex[:8]}"
    url = create_database(postgres, name)
    yield url
    # Best effort: the whole cluster is deleted at the end of the session anyway.
    with contextlib.suppress(Exception):
        drop_database(postgres, name)


@pytest.fixture(params=["duckdb", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty warehouse on each engine that runs here: a DuckDB file, then a PostgreSQL database of its own."""
    return (
        f"duckdb:///{tmp_path / 'warehouse.duckdb'}" if request.param == "duckdb" else request.getfixturevalue("pg_url")
    )


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """An in-process moto S3 server on loopback for the whole test session."""
    yield from _run_service(moto_s3_server)


@pytest.fixture(scope="session")
def prefect_api(request: pytest.FixtureRequest) -> Iterator[PrefectServer]:
    """A real ``prefect server start`` subprocess for the whole test session.

    Its database is on the session's PostgreSQL when there is one, as Prefect advises for a shared server:
    on SQLite each write waits for the last, and runs in flight together (a backfill) wait on each other.
    """
    try:
        database: PostgresServer | None = request.getfixturevalue("postgres")
    except pytest.skip.Exception:
        database = None
    yield from _run_service(functools.partial(prefect_server, database=database))


#: Fixtures that start a real service: a test that uses one is slow whatever it does.
SERVICE_FIXTURES = frozenset({"postgres", "pg_url", "s3_server", "prefect_api"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Marks ``slow`` every test that needs a real service, so that ``make test-fast`` leaves it out."""
    for item in items:
        if SERVICE_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


# ============================================================================
# END real-service fixtures
# ============================================================================


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One temporary Prefect API for every in-process flow run of the session."""
    with prefect_test_harness(server_startup_timeout=120):
        yield
