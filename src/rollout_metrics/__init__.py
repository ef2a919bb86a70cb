"""rollout-metrics: did a change to your customer-service terms hurt or help customers?

The public API, in pipeline order: load and validate the data, describe the
rollout, compare the metrics before and after, report.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from rollout_metrics.compare import (
    compare,
    compare_churn,
    compare_complaints,
    compare_csat,
    compare_handling_time,
    compare_nps,
)
from rollout_metrics.designs.did import DidResult, did
from rollout_metrics.designs.its import ItsResult, its
from rollout_metrics.designs.mixshift import mix_shift
from rollout_metrics.designs.on_metrics import MetricItsResult, did_metric, its_metric
from rollout_metrics.designs.sensitivity import sensitivity
from rollout_metrics.errors import (
    ConfigError,
    DataValidationError,
    InsufficientDataError,
    MissingColumnError,
    PeriodError,
    RolloutMetricsError,
)
from rollout_metrics.infer.multiple import adjust_pvalues
from rollout_metrics.infer.results import DiffResult
from rollout_metrics.load.dataset import Dataset, load_dataset, load_sample
from rollout_metrics.point_metrics import churn_rate, complaint_rate, csat, handling_time, nps
from rollout_metrics.rollout import Rollout

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
    "MetricItsResult",
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

from rollout_metrics.report import Report, build_report

__all__ += ["Report", "build_report"]
