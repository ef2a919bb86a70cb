"""rollout-metrics: did a change to your customer-service terms hurt or help customers?

The public API, in pipeline order: load and validate the data, describe the
rollout, compare the metrics before and after, report.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from .dataset import Dataset, load_dataset, load_sample
from .errors import (
    ConfigError,
    DataValidationError,
    InsufficientDataError,
    MissingColumnError,
    PeriodError,
    RolloutMetricsError,
)
from .rollout import Rollout

try:
    __version__ = version("rollout-metrics")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "ConfigError",
    "DataValidationError",
    "Dataset",
    "InsufficientDataError",
    "MissingColumnError",
    "PeriodError",
    "Rollout",
    "RolloutMetricsError",
    "__version__",
    "load_dataset",
    "load_sample",
]
