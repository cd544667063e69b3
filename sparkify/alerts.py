"""What a run tells the alerts itself: warning-level checks that did not pass, as one Prefect event.

Prefect emits its own events when a run fails or crashes, and the automations of
deployments/automations.yaml alert on those. A run that completes with a failed
warning-level check ends ``Completed``, which says nothing of it: the flow emits
``sparkify.checks.warned`` instead, and an automation renders its message from the payload.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

from prefect import get_client
from prefect.context import FlowRunContext
from prefect.events import emit_event
from prefect.runtime import deployment as current_deployment
from prefect.runtime import flow_run as current_run

if TYPE_CHECKING:
    from sparkify.quality import CheckResult

#: The event's name, which the automation ``sparkify-etl-alert-check-warned`` expects.
CHECKS_WARNED = "sparkify.checks.warned"


def emit_check_warnings(window: str, failures: Sequence[CheckResult]) -> None:
    """Emits one ``sparkify.checks.warned`` event for the current flow run's failed warning-level checks.

    The event's resource is the flow run, its flow and deployment (if any) are related
    resources, as on Prefect's own flow-run events, and its payload is
    ``{"window", "deployment": "<flow>/<deployment>" or "", "failed": [{"check", "severity",
    "observed", "expected"}, ...]}``. Nothing is emitted outside a flow run, nor when every
    check passed: a warning with nobody to attribute it to, or about nothing, alerts no one.
    """
    failed = [failure for failure in failures if not failure.passed]
    run_id = current_run.id
    if run_id is None or not failed:
        return
    flow_name = current_run.flow_name
    deployment_id = current_deployment.id
    deployment = f"{flow_name}/{current_deployment.name}" if deployment_id else ""
    related = [
        {
            "prefect.resource.id": f"prefect.flow.{_flow_id(run_id)}",
            "prefect.resource.role": "flow",
            "prefect.resource.name": flow_name,
        }
    ]
    if deployment_id:
        related.append(
            {
                "prefect.resource.id": f"prefect.deployment.{deployment_id}",
                "prefect.resource.role": "deployment",
                "prefect.resource.name": current_deployment.name,
            }
        )
    emit_event(
        CHECKS_WARNED,
        resource={"prefect.resource.id": f"prefect.flow-run.{run_id}", "prefect.resource.name": current_run.name},
        related=related,
        payload={"window": window, "deployment": deployment, "failed": [_described(f) for f in failed]},
    )


def _described(failure: CheckResult) -> dict[str, Any]:
    return {
        "check": failure.check,
        # what the caller passes is warning-level by contract; a result says so itself once checks carry severities
        "severity": getattr(failure, "severity", "warn"),
        "observed": str(failure.observed),
        "expected": str(failure.expected),
    }


def _flow_id(run_id: str) -> UUID:
    """The run's flow: prefect.runtime names it but has no id, which Prefect's own events carry."""
    context = FlowRunContext.get()
    if context is not None and str(context.flow_run.id) == run_id:
        return context.flow_run.flow_id
    with get_client(sync_client=True) as client:  # a task's thread, or a run known only by PREFECT__FLOW_RUN_ID
        return client.read_flow_run(UUID(run_id)).flow_id
