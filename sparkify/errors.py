"""Failures a person can act on; anything else is a bug or a transient fault."""

from __future__ import annotations


class PipelineError(Exception):
    """A run stopped for a reason its message explains; retrying will not help."""


class EmptySourceError(PipelineError):
    """The run's source holds nothing to load."""


class DataQualityError(PipelineError):
    """One or more quality checks failed."""
