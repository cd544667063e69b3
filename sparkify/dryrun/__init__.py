"""The dry run: ``plan`` prints every statement a run would execute, connecting to nothing (``plan.py``).

``recorder.py`` stands in for the warehouse's engine; ``sources.py`` for the source, listed but never read.
"""

from sparkify.dryrun.plan import PLAN_RUN_KEY, Plan, Statement, plan

__all__ = ["PLAN_RUN_KEY", "Plan", "Statement", "plan"]
