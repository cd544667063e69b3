"""Failures a person can act on; anything else is a bug or a transient fault."""

from __future__ import annotations

import logging


class PipelineError(Exception):
    """A run stopped for a reason its message explains; retrying will not help."""


class EmptySourceError(PipelineError):
    """The run's source holds nothing to load."""


class DataQualityError(PipelineError):
    """One or more quality checks failed."""


class _MessageOnly(logging.Filter):
    """Logs a :class:`PipelineError` as its message: the traceback of a mistake helps nobody fix it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], PipelineError):
            record.exc_info = None
            record.exc_text = None
        return True


_MESSAGE_ONLY = _MessageOnly()


def log_messages_only() -> None:
    """Every handler of Prefect's and the root logger drops the traceback of a :class:`PipelineError`, whoever logs
    it (Prefect's engine logs a failed task's and flow's with ``exc_info``); a bug keeps its traceback."""
    for name in ("", "prefect"):
        for handler in logging.getLogger(name).handlers:
            if _MESSAGE_ONLY not in handler.filters:
                handler.addFilter(_MESSAGE_ONLY)
