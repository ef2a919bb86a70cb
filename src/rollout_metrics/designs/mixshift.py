"""Split an overall change into the change within segments and the change in segment mix.

A change in *who* answers surveys, churns or raises tickets can masquerade as a
change in experience.  With segment shares wᵦ, wₐ and segment values mᵦ, mₐ:

    overall delta = Σ wₐmₐ − Σ wᵦmᵦ
                  = Σ wᵦ(mₐ − mᵦ)          (within: the after period reweighted to the before mix)
                  + Σ (wₐ − wᵦ) mₐ          (mix: what the new mix alone changed)

Weights are responses (NPS, CSAT), exposure (churn, complaints) or resolved
tickets (handling time, where the decomposition uses the mean: medians do not
add up).  Computed on the sufficient statistics of :mod:`.stats_table` only.

Examples
--------
>>> import rollout_metrics as rm
>>> t = mix_shift(rm.load_sample(), rm.Rollout("2025-09-01"), "nps", by="tier")
>>> bool(abs(t.loc[0, "within"] + t.loc[0, "mix"] - t.loc[0, "overall_delta"]) < 1e-9)
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from rollout_metrics.compare import _comparisons
from rollout_metrics.errors import DataValidationError
from rollout_metrics.load.dataset import Dataset
from rollout_metrics.reduce.segments import normalise_by
from rollout_metrics.rollout import Rollout
from rollout_metrics.stats.periods import METRICS, period_stats
from rollout_metrics.stats.sufficient import EventExposure, NpsCounts, Proportion, ValueCounts

__all__ = ["mix_shift"]


def _value_weight(stat: Any) -> tuple[float, float]:
    if isinstance(stat, NpsCounts):
        return stat.score / 100.0, float(stat.n)
    if isinstance(stat, Proportion):
        return stat.share, float(stat.n)
    if isinstance(stat, EventExposure):
        return stat.rate, stat.exposure
    if isinstance(stat, ValueCounts):
        return stat.moments().mean, float(stat.n)
    raise TypeError(type(stat))


def mix_shift(
    data: Dataset, rollout: Rollout, metric: str, by: str | Sequence[str]
) -> pd.DataFrame:
    """Decompose the overall delta of ``metric`` into within-segment and mix components.

    Returns
    -------
    pandas.DataFrame
        One row per comparison: ``metric, by, comparison, overall_delta, within, mix,
        mix_share`` in the metric's units (handling time: mean hours).
    """
    by_list = normalise_by(by)
    if not by_list:
        raise DataValidationError("mix_shift needs segments: pass by='tier' (or a list)")
    spec = METRICS[metric]
    table = period_stats(metric, data, rollout, by_list)
    segments = table.iloc[1:]
    rows = []
    for name, p_b, p_a in _comparisons(rollout):
        if p_b not in segments or p_a not in segments:
            raise DataValidationError(f"{metric}: no data in {p_b} or {p_a} for mix_shift")
        vb = [_value_weight(s) for s in segments[p_b]]
        va = [_value_weight(s) for s in segments[p_a]]
        wb_total, wa_total = sum(w for _, w in vb), sum(w for _, w in va)
        if not wb_total or not wa_total:
            raise DataValidationError(f"{metric}: no data in {p_b} or {p_a} for mix_shift")
        pairs = [
            (mb, wb / wb_total, ma, wa / wa_total)
            for (mb, wb), (ma, wa) in zip(vb, va, strict=True)
            if wb > 0 and wa > 0
        ]
        # Segments present in one period only contribute through the mix term.
        overall_b = sum(m * w for m, w in vb if w > 0) / wb_total
        overall_a = sum(m * w for m, w in va if w > 0) / wa_total
        within = sum(wb * (ma - mb) for mb, wb, ma, _ in pairs)
        delta = overall_a - overall_b
        mix = delta - within
        rows.append({
            "metric": metric, "by": " × ".join(by_list), "comparison": name,
            "overall_delta": delta * spec.scale, "within": within * spec.scale,
            "mix": mix * spec.scale, "mix_share": mix / delta if delta else float("nan"),
            "units": spec.units if metric != "handling_time" else "hours (mean)",
        })
    return pd.DataFrame(rows)
