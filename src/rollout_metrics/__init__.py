"""rollout-metrics: did a change to your customer-service terms hurt or help customers?

The public API, in pipeline order: load and validate the data, describe the
rollout, compare the metrics before and after, report.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from .compare import (
    compare,
    compare_churn,
    compare_complaints,
    compare_csat,
    compare_handling_time,
    compare_nps,
)
from .dataset import Dataset, load_dataset, load_sample
from .designs import did_metric, its_metric
from .did import DidResult, did
from .errors import (
    ConfigError,
    DataValidationError,
    InsufficientDataError,
    MissingColumnError,
    PeriodError,
    RolloutMetricsError,
)
from .its import ItsResult, its
from .metrics import churn_rate, complaint_rate, csat, handling_time, nps
from .mixshift import mix_shift
from .multiple import adjust_pvalues
from .results import DiffResult
from .rollout import Rollout
from .sensitivity import sensitivity

try:
    __version__ = version("rollout-metrics")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "ConfigError",
    "DataValidationError",
    "Dataset",
    "DidResult",
    "DiffResult",
    "InsufficientDataError",
    "ItsResult",
    "MissingColumnError",
    "PeriodError",
    "Rollout",
    "RolloutMetricsError",
    "__version__",
    "adjust_pvalues",
    "churn_rate",
    "compare",
    "compare_churn",
    "compare_complaints",
    "compare_csat",
    "compare_handling_time",
    "compare_nps",
    "complaint_rate",
    "csat",
    "did",
    "did_metric",
    "handling_time",
    "its",
    "its_metric",
    "load_dataset",
    "load_sample",
    "mix_shift",
    "nps",
    "sensitivity",
]

from .report import Report, build_report

__all__ += ["Report", "build_report"]
