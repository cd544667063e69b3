"""Prefect's fixed cost: a flow of four tasks that do nothing, started like ``python -m flows.etl``.

Run as ``python bench/trivial_flow.py`` with no ``PREFECT_API_URL``: like the pipeline's CLI, the flow
run then starts Prefect's temporary API server, so the process's wall time is what Prefect costs a run
before any data moves (interpreter and imports, the server's start and stop, four task runs). The tasks
take options like the pipeline's (no result caching, retries) so each task run pays what a pipeline
task run pays.
"""

from __future__ import annotations

import os

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

from prefect import flow, task
from prefect.cache_policies import NONE

OPTIONS = {"cache_policy": NONE, "retries": 3, "retry_delay_seconds": 0}


@task(name="trivial-first", **OPTIONS)
def first() -> int:
    return 1


@task(name="trivial-second", **OPTIONS)
def second(value: int) -> int:
    return value + 1


@task(name="trivial-third", **OPTIONS)
def third(value: int) -> int:
    return value + 1


@task(name="trivial-fourth", **OPTIONS)
def fourth(value: int) -> int:
    return value + 1


@flow(name="trivial-flow")
def trivial_flow() -> int:
    """Four task runs in a chain, as a pipeline's steps are."""
    return fourth(third(second(first())))


if __name__ == "__main__":
    print(f"trivial-flow result: {trivial_flow()}")
