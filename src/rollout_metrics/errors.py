"""Exception types of rollout-metrics.

One base class, grouped by the kind of problem, so callers can catch
``RolloutMetricsError`` for everything or a specific subclass.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DataValidationError",
    "InsufficientDataError",
    "MissingColumnError",
    "PeriodError",
    "RolloutMetricsError",
]


class RolloutMetricsError(Exception):
    """Base class of every error raised by rollout-metrics."""


class DataValidationError(RolloutMetricsError, ValueError):
    """Input data cannot be used: wrong type, unparseable column, or a row rule in strict mode."""


class MissingColumnError(DataValidationError, KeyError):
    """A required column (or a requested segment column) is absent.

    Subclasses ``KeyError`` for callers that expect it, but prints like a ``ValueError``.
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class PeriodError(RolloutMetricsError, ValueError):
    """The rollout specification or a period window is invalid or empty."""


class InsufficientDataError(RolloutMetricsError, ValueError):
    """Too few observations for the requested model or test."""


class ConfigError(RolloutMetricsError, ValueError):
    """A command-line configuration file is invalid (unknown key, missing file, bad value)."""
