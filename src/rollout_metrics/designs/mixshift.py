"""Split an overall change into the change within segments and the change in segment mix.

A change in *who* answers surveys, churns or raises tickets can masquerade as a change in
experience. The after period is reweighted to the before period's segment mix (METHODS.md):

    overall delta = after − before                         (the headline row's after − before)
                  = (after reweighted to before mix − before)    within
                  + (after − after reweighted to before mix)     mix

For averages (NPS, CSAT, rates, means) the reweighted value is Σ wᵦ mₐ over segments present
in both periods. For handling time (a median or p90) it is the quantile of the after
period's tickets reweighted so that each segment has its before share (a weighted quantile
of the minute counts). ``overall_delta`` is computed from the same cells as ``compare``'s
overall row, so the two always agree.

Segments must partition the metric's population: a ticket column such as ``channel``
splits complaint *events* while every channel is exposed as all customers, so there is no
mix to shift and :func:`mix_shift` says so.

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

import numpy as np
import pandas as pd

from rollout_metrics.comparison import comparisons
from rollout_metrics.errors import DataValidationError
from rollout_metrics.load.dataset import Dataset
from rollout_metrics.metrics import MetricOptions, MetricSpec, get_metric
from rollout_metrics.reduce.reduction import Reductions
from rollout_metrics.reduce.segments import normalise_by
from rollout_metrics.rollout import Rollout
from rollout_metrics.stats.periods import period_table
from rollout_metrics.stats.sufficient import EventExposure, RatioOfSums, ValueCounts

__all__ = ["mix_shift"]


def _weight(stat: Any) -> float:
    if isinstance(stat, EventExposure):
        return float(stat.exposure)
    if isinstance(stat, RatioOfSums):  # a ratio of sums weighs its segments by its denominator
        return float(stat.units)
    return float(stat.n)


def _reweighted(spec: MetricSpec, before: list[Any], after: list[Any], opts: MetricOptions
                ) -> float:
    """The after period's value with each segment at its before share."""
    w_b = np.array([_weight(s) for s in before])
    w_a = np.array([_weight(s) for s in after])
    both = (w_b > 0) & (w_a > 0)
    share = w_b[both] / w_b[both].sum()
    cells = [s for s, keep in zip(after, both, strict=True) if keep]
    if all(isinstance(s, ValueCounts) for s in cells) and spec.kind == "durations":
        values = np.concatenate([s.arrays()[0] for s in cells])
        weights = np.concatenate([s.arrays()[1] * (sh / s.n) for s, sh in
                                  zip(cells, share, strict=True)])
        order = np.argsort(values, kind="stable")
        values, cum = values[order], np.cumsum(weights[order])
        q = {"median": 0.5, "p90": 0.9}.get(opts.handling_stat)
        if q is None:
            return float((values * weights[order]).sum())
        return float(values[np.searchsorted(cum, q * cum[-1])])
    return float(sum(sh * spec.point(s, opts) for s, sh in zip(cells, share, strict=True)))


def mix_shift(
    data: Dataset | Reductions, rollout: Rollout, metric: str, by: str | Sequence[str],
    *, handling_stat: str = "median", csat_threshold: int = 4,
) -> pd.DataFrame:
    """Decompose the overall delta of ``metric`` into within-segment and mix components.

    Parameters
    ----------
    data, rollout
        The dataset and the rollout.
    metric
        A registered metric name.
    by
        Segment column(s), crossed, that partition the metric's population (customer
        attributes, or a ticket column for ticket-based averages such as handling time).
    handling_stat, csat_threshold
        As in :func:`rollout_metrics.compare`.

    Returns
    -------
    pandas.DataFrame
        One row per comparison: ``metric, by, comparison, overall_delta, within, mix,
        mix_share, units`` in the metric's units; ``overall_delta`` is the overall row's
        ``after - before`` of :func:`rollout_metrics.compare`.
    """
    by_list = normalise_by(by)
    if not by_list:
        raise DataValidationError("mix_shift needs segments: pass by='tier' (or a list)")
    spec = get_metric(metric)
    opts = MetricOptions(handling_stat=handling_stat, csat_threshold=csat_threshold)
    table = period_table(data, rollout, spec, by_list, opts)
    rows = []
    for name, p_b, p_a in comparisons(rollout):
        before = [table.cell(i, p_b) for i in range(1, len(table.keys))]
        after = [table.cell(i, p_a) for i in range(1, len(table.keys))]
        total_b, total_a = table.cell(0, p_b), table.cell(0, p_a)
        for period, parts, total in ((p_b, before, total_b), (p_a, after, total_a)):
            if not _weight(total):
                raise DataValidationError(f"{metric}: no data in {period} for mix_shift")
            if not np.isclose(sum(_weight(s) for s in parts), _weight(total), rtol=1e-9):
                raise DataValidationError(
                    f"{metric}: the segments of {' × '.join(by_list)} do not partition its "
                    f"population (their weights add up to {sum(_weight(s) for s in parts):,.0f}"
                    f", not {_weight(total):,.0f}): a ticket column splits events, not "
                    "customers, so there is no segment mix to shift. Use a customer "
                    "attribute (e.g. tier)."
                )
        point_b, point_a = spec.point(total_b, opts), spec.point(total_a, opts)
        delta = point_a - point_b
        within = _reweighted(spec, before, after, opts) - point_b
        mix = delta - within
        rows.append({
            "metric": metric, "by": " × ".join(by_list), "comparison": name,
            "overall_delta": delta * spec.scale, "within": within * spec.scale,
            "mix": mix * spec.scale, "mix_share": mix / delta if delta else float("nan"),
            "units": spec.units,
        })
    return pd.DataFrame(rows)
