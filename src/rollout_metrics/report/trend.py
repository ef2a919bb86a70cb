"""The report's trend check: the naive before/after beside the interrupted time series.

A naive difference is biased when the metric was already moving; the ITS models the
pre-existing level and trend (and the announcement window) and estimates the average
effect over the after window.  Where the two disagree, the report says so in plain words.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from rollout_metrics.designs.on_metrics import its_metric
from rollout_metrics.errors import RolloutMetricsError
from rollout_metrics.load.dataset import Dataset
from rollout_metrics.reduce.reduction import Reductions
from rollout_metrics.report.i18n import Text
from rollout_metrics.report.summary import Sentence, text_for
from rollout_metrics.rollout import Rollout

__all__ = ["DISAGREE", "trend_check"]



#: Verdict codes (message ``trend.<code>``) that the first screen and the summary must
#: not contradict: the naive change is not what the series model finds.
DISAGREE = ("explained", "opposite", "found_only")


def _verdict(naive_sig: bool, naive: float, lo: float, hi: float) -> str:
    its_sig = lo > 0 or hi < 0
    if naive_sig and not its_sig:
        if lo <= naive <= hi:
            # The series model is merely less precise: no evidence against the naive change.
            return "inconclusive"
        return "explained"
    if naive_sig and its_sig and (naive > 0) == (lo > 0):
        return "confirmed"
    if naive_sig and its_sig:
        return "opposite"
    if its_sig:
        return "found_only"
    return "none"


def trend_check(
    data: Dataset, rollout: Rollout, table: pd.DataFrame, metrics: list[str], alpha: float,
    say: Callable[[str], None], reductions: Reductions | None = None,
    text: Text | None = None, handling_stat: str = "median",
    curves: dict[str, pd.DataFrame] | None = None,
) -> tuple[list[dict[str, str]], list[Sentence], list[str]]:
    """Rows for the trend section, summary sentences for disagreements, and notes.

    ``table`` holds the naive rows in the units the report shows (``text.factor``).
    ``curves``, when given, receives each metric's overall ITS curve (``date, observed,
    fitted, counterfactual, ci_low, ci_high, period`` in the results' units) for the plot.

    Each row's ``code`` is the verdict's code (:data:`DISAGREE`), ``verdict`` its words.

    Examples
    --------
    >>> import rollout_metrics as rm
    >>> r = rm.Rollout("2025-09-01", announced="2025-08-11")
    >>> data = rm.load_sample()
    >>> t = rm.compare(data, r, metrics=["csat"])
    >>> rows, sentences, _ = trend_check(data, r, t, ["csat"], 0.05, lambda m: None)
    >>> rows[0]["verdict"]
    'not confirmed: the pre-existing trend explains it'
    """
    t = text or text_for("en")
    rows: list[dict[str, str]] = []
    sentences: list[Sentence] = []
    notes: list[str] = []
    overall = table[(table["segment"] == "overall") & (table["comparison"] == "after_vs_before")]
    for metric in metrics:
        naive = overall[overall["metric"] == metric]
        if naive.empty:
            continue
        say(f"trend check {metric}")
        try:
            fit = its_metric(data, rollout, metric, alpha=alpha, reductions=reductions)
            its = fit.table
        except (RolloutMetricsError, np.linalg.LinAlgError) as exc:
            # One series that cannot be modelled (e.g. a singular design) is noted in its
            # place; the rest of the report is still written.
            notes.append(t("trend.no_its", metric=t.label(metric), error=exc))
            continue
        if curves is not None:
            curves[metric] = fit.series[fit.series["segment"] == "overall"]
        avg = its[(its["term"] == "average_effect") & (its["segment"] == "overall")]
        if avg.empty:
            continue
        n, a = naive.iloc[0], avg.iloc[0]
        f = t.factor(metric)  # ``table`` is in the shown units already; the series is not
        a = a.copy()
        for col in ("delta", "ci_low", "ci_high"):
            a[col] = float(a[col]) * f
        naive_sig = bool(n["significant"]) if pd.notna(n["significant"]) else False
        code = _verdict(naive_sig, float(n["delta"]), float(a["ci_low"]), float(a["ci_high"]))
        method = str(a["method"])
        row: dict[str, Any] = {
            "metric": metric, "label": t.label(metric), "units": t.units(metric),
            "naive": t.num(n["delta"]),
            "naive_ci": t("ci.range", low=t.num(n["ci_low"]), high=t.num(n["ci_high"])),
            "its": t.num(a["delta"]),
            "its_ci": t("ci.range", low=t.num(a["ci_low"]), high=t.num(a["ci_high"])),
            "method": t.model(method), "method_id": method,
            "verdict": t(f"trend.{code}"), "code": code,
        }
        rows.append(row)
        if code in DISAGREE:
            # Disagreements a reader must not miss; "inconclusive" stays in the table.
            sentences.append(Sentence(
                t("s.trend", subject=t.subject(metric, handling_stat), naive=row["naive"],
                  units=row["units"], verdict=row["verdict"], its=row["its"],
                  level=t.level(alpha), ci=row["its_ci"])))
    return rows, sentences, notes
