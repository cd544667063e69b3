"""The ``sparkify-etl`` flow (``flow.py``); ``python -m flows.etl`` runs its command line (``flows.cli``)."""

from flows.etl.flow import RunSummary, sparkify_etl

__all__ = ["RunSummary", "sparkify_etl"]
