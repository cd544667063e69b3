"""One Prefect task per step of ``sparkify.steps``; ``TaskRunner`` walks the pipeline with them.

Importing the package registers every task for its step.
"""

from tasks import ledger, loading, quality, report, schema, source, staging
from tasks.policy import TASKS, TaskRunner

__all__ = ["TASKS", "TaskRunner", "ledger", "loading", "quality", "report", "schema", "source", "staging"]
