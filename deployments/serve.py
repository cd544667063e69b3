"""``python -m deployments.serve``: the hourly deployment served by this process, for one machine without a worker.

The schedule, parameters, concurrency limit, description and tags are read from the
deployment of the same name in ``prefect.yaml``, so a served install and a worker
install cannot drift apart. Both register ``sparkify-etl/hourly``: use one or the
other on a server. Stopping this process pauses the schedule (Prefect's serve
default), and runs execute in child processes of this one.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

import yaml
from prefect import get_client, serve
from prefect.client.schemas.objects import ConcurrencyLimitConfig
from prefect.deployments.runner import RunnerDeployment
from prefect.exceptions import ObjectNotFound
from prefect.schedules import Cron, Schedule

#: The checkout: prefect.yaml and the entrypoint's relative paths (data/…) are resolved from here.
ROOT = Path(__file__).resolve().parents[1]
PREFECT_YAML = ROOT / "prefect.yaml"
ENTRYPOINT = "flows/etl/flow.py:sparkify_etl"
FLOW_NAME = "sparkify-etl"
#: What a schedule entry of prefect.yaml may say that a served cron schedule carries too.
_CRON_KEYS = {"cron", "timezone", "day_or", "active", "parameters", "slug"}


def deployment_spec(name: str = "hourly", path: Path = PREFECT_YAML) -> dict[str, Any]:
    """The deployment ``name`` of prefect.yaml, checked to be the ETL flow's."""
    specs = yaml.safe_load(path.read_text(encoding="utf-8")).get("deployments") or []
    for spec in specs:
        if spec.get("name") == name:
            if spec.get("entrypoint") != ENTRYPOINT:
                raise ValueError(f"deployment {name!r} of {path} runs {spec.get('entrypoint')!r}, not {ENTRYPOINT}")
            return spec
    raise ValueError(f"{path} has no deployment named {name!r}")


def schedules(spec: dict[str, Any]) -> list[Schedule]:
    """The deployment's cron schedules, field for field; anything serve would silently drop is refused."""
    result = []
    for entry in spec.get("schedules") or []:
        unknown = set(entry) - _CRON_KEYS
        if "cron" not in entry or unknown:
            raise ValueError(f"serve takes cron schedules with {sorted(_CRON_KEYS)}, not {entry}")
        options = {key: entry[key] for key in ("timezone", "day_or", "active", "parameters", "slug") if key in entry}
        result.append(Cron(entry["cron"], **options))
    return result


def concurrency_limit(spec: dict[str, Any]) -> int | ConcurrencyLimitConfig | None:
    limit = spec.get("concurrency_limit")
    return ConcurrencyLimitConfig(**limit) if isinstance(limit, dict) else limit


def build(name: str = "hourly") -> RunnerDeployment:
    """The served twin of prefect.yaml's deployment ``name``."""
    from flows.etl.flow import sparkify_etl

    spec = deployment_spec(name)
    return sparkify_etl.to_deployment(
        name=spec["name"],
        schedules=schedules(spec),
        parameters=spec.get("parameters") or {},
        concurrency_limit=concurrency_limit(spec),
        description=spec.get("description"),
        tags=spec.get("tags"),
    )


def worker_deployment(name: str) -> str | None:
    """The work pool of an existing ``sparkify-etl/<name>`` deployment, if it has one.

    Serving over a worker's deployment keeps its work pool and drops its pull step
    (Prefect updates the fields serve sends), and its runs then crash: refuse instead.
    """
    with get_client(sync_client=True) as client:
        try:
            return client.read_deployment_by_name(f"{FLOW_NAME}/{name}").work_pool_name
        except ObjectNotFound:
            return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deployments.serve", description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="hourly", help="deployment of prefect.yaml to serve (default: %(default)s)")
    args = parser.parse_args(argv)
    pool = worker_deployment(args.name)
    if pool is not None:
        print(
            f"{FLOW_NAME}/{args.name} is deployed to the work pool {pool!r}: serve it or run a worker, not both. "
            f"To serve it instead: prefect deployment delete {FLOW_NAME}/{args.name}",
            file=sys.stderr,
        )
        return 1
    # the entrypoint and the default parameters' relative paths are the checkout's, as for a worker's runs
    os.chdir(ROOT)
    serve(build(args.name))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
