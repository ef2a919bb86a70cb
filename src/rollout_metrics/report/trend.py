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
from rollout_metrics.metrics import MetricOptions, get_metric
from rollout_metrics.reduce.reduction import Reductions
from rollout_metrics.report.summary import Sentence, fmt
from rollout_metrics.rollout import Rollout

__all__ = ["trend_check"]



def _verdict(naive_sig: bool, naive: float, lo: float, hi: float) -> str:
    its_sig = lo > 0 or hi < 0
    if naive_sig and not its_sig:
        if lo <= naive <= hi:
            # The series model is merely less precise: no evidence against the naive change.
            return "inconclusive once the trend is modelled (wider interval)"
        return "not confirmed: the pre-existing trend explains it"
    if naive_sig and its_sig and (naive > 0) == (lo > 0):
        return "confirmed"
    if naive_sig and its_sig:
        return "opposite sign once the trend is modelled"
    if its_sig:
        return "found only once the trend is modelled"
    return "no change in either"


def trend_check(
    data: Dataset, rollout: Rollout, table: pd.DataFrame, metrics: list[str], alpha: float,
    say: Callable[[str], None], reductions: Reductions | None = None,
) -> tuple[list[dict[str, str]], list[Sentence], list[str]]:
    """Rows for the trend section, summary sentences for disagreements, and notes.

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
            its = its_metric(data, rollout, metric, alpha=alpha, reductions=reductions).table
        except (RolloutMetricsError, np.linalg.LinAlgError) as exc:
            # One series that cannot be modelled (e.g. a singular design) is noted in its
            # place; the rest of the report is still written.
            notes.append(f"{metric}: no interrupted time series ({exc})")
            continue
        avg = its[(its["term"] == "average_effect") & (its["segment"] == "overall")]
        if avg.empty:
            continue
        n, a = naive.iloc[0], avg.iloc[0]
        naive_sig = bool(n["significant"]) if pd.notna(n["significant"]) else False
        verdict = _verdict(naive_sig, float(n["delta"]), float(a["ci_low"]), float(a["ci_high"]))
        row: dict[str, Any] = {
            "metric": metric, "units": str(n["units"]),
            "naive": fmt(n["delta"]), "naive_ci": f"{fmt(n['ci_low'])} to {fmt(n['ci_high'])}",
            "its": fmt(a["delta"]), "its_ci": f"{fmt(a['ci_low'])} to {fmt(a['ci_high'])}",
            "method": str(a["method"]), "verdict": verdict,
        }
        rows.append(row)
        if verdict.startswith(("not confirmed", "opposite", "found only")):
            # Disagreements a reader must not miss; "inconclusive" stays in the table.
            sentences.append(Sentence(
                f"{get_metric(metric).subject(MetricOptions())}: the naive after-vs-before change of {row['naive']} "
                f"({row['units']}) is {verdict}; the interrupted time series estimates "
                f"{row['its']} (95% CI {row['its_ci']})."))
    return rows, sentences, notes
