"""rollout-metrics: did a change to your customer-service terms hurt or help customers?

The public API, in pipeline order: load and validate the data, describe the
rollout, compare the metrics before and after, report.

Names are imported on first use (PEP 562), so ``import rollout_metrics`` is quick and a
script that only loads data never imports statsmodels, matplotlib or scipy.stats.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from rollout_metrics.errors import (
    ConfigError,
    DataValidationError,
    InsufficientDataError,
    MissingColumnError,
    PeriodError,
    RolloutMetricsError,
)

if TYPE_CHECKING:
    from rollout_metrics.comparison import (
        compare,
        compare_churn,
        compare_complaints,
        compare_contact_rate,
        compare_csat,
        compare_first_response_time,
        compare_handling_time,
        compare_nps,
    )
    from rollout_metrics.custom import define_metric
    from rollout_metrics.designs.did import DidResult, did
    from rollout_metrics.designs.its import ItsResult, its
    from rollout_metrics.designs.mixshift import mix_shift
    from rollout_metrics.designs.on_metrics import MetricItsResult, did_metric, its_metric
    from rollout_metrics.designs.sensitivity import sensitivity
    from rollout_metrics.infer.multiple import adjust_pvalues
    from rollout_metrics.infer.results import DiffResult
    from rollout_metrics.load.dataset import Dataset, load_dataset, load_sample
    from rollout_metrics.load.options import ReadOptions
    from rollout_metrics.metrics import MetricSpec, get_metric, register_metric, unregister_metric
    from rollout_metrics.point_metrics import (
        churn_rate,
        complaint_rate,
        csat,
        handling_time,
        nps,
    )
    from rollout_metrics.reduce.reduction import Reductions
    from rollout_metrics.report.builder import Report, build_report
    from rollout_metrics.rollout import Rollout

try:
    __version__ = version("rollout-metrics")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

#: Public name -> the module that defines it.
_LAZY: dict[str, str] = {
    **dict.fromkeys(("compare", "compare_churn", "compare_complaints", "compare_contact_rate",
                     "compare_csat", "compare_first_response_time", "compare_handling_time",
                     "compare_nps"), "rollout_metrics.comparison"),
    **dict.fromkeys(("DidResult", "did"), "rollout_metrics.designs.did"),
    **dict.fromkeys(("ItsResult", "its"), "rollout_metrics.designs.its"),
    "mix_shift": "rollout_metrics.designs.mixshift",
    **dict.fromkeys(("MetricItsResult", "did_metric", "its_metric"),
                    "rollout_metrics.designs.on_metrics"),
    "sensitivity": "rollout_metrics.designs.sensitivity",
    "define_metric": "rollout_metrics.custom",
    "adjust_pvalues": "rollout_metrics.infer.multiple",
    "DiffResult": "rollout_metrics.infer.results",
    **dict.fromkeys(("Dataset", "load_dataset", "load_sample"), "rollout_metrics.load.dataset"),
    **dict.fromkeys(("MetricSpec", "get_metric", "register_metric", "unregister_metric"),
                    "rollout_metrics.metrics"),
    **dict.fromkeys(("churn_rate", "complaint_rate", "csat", "handling_time", "nps"),
                    "rollout_metrics.point_metrics"),
    "ReadOptions": "rollout_metrics.load.options",
    "Reductions": "rollout_metrics.reduce.reduction",
    **dict.fromkeys(("Report", "build_report"), "rollout_metrics.report.builder"),
    "Rollout": "rollout_metrics.rollout",
}

__all__ = [
    "ConfigError",
    "DataValidationError",
    "Dataset",
    "DidResult",
    "DiffResult",
    "InsufficientDataError",
    "ItsResult",
    "MetricItsResult",
    "MetricSpec",
    "MissingColumnError",
    "PeriodError",
    "ReadOptions",
    "Reductions",
    "Report",
    "Rollout",
    "RolloutMetricsError",
    "__version__",
    "adjust_pvalues",
    "build_report",
    "churn_rate",
    "compare",
    "compare_churn",
    "compare_complaints",
    "compare_contact_rate",
    "compare_csat",
    "compare_first_response_time",
    "compare_handling_time",
    "compare_nps",
    "complaint_rate",
    "csat",
    "define_metric",
    "did",
    "did_metric",
    "get_metric",
    "handling_time",
    "its",
    "its_metric",
    "load_dataset",
    "load_sample",
    "mix_shift",
    "nps",
    "register_metric",
    "sensitivity",
    "unregister_metric",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'rollout_metrics' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return list(__all__)
