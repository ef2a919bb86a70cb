"""Small tables behind the plots: each metric per day or week.

Every bin sums days of the metric's one daily series (:mod:`rollout_metrics.stats.daily`)
and applies the metric's own statistic, so the plots show what the tables show.

Bins never straddle a period boundary: weeks are counted from the start of each period
(``before``, ``transition``, ``after``), so the last week of a period may be shorter.
Washout days belong to no period and are left out.

Examples
--------
>>> import rollout_metrics as rm
>>> data, r = rm.load_sample(), rm.Rollout("2025-09-01", announced="2025-08-11")
>>> t = metric_over_time(data, r, "nps")
>>> list(t.columns)
['start', 'end', 'period', 'n', 'value', 'ci_low', 'ci_high']
>>> sorted(t["period"].unique())
['after', 'before', 'transition']
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from rollout_metrics.errors import DataValidationError
from rollout_metrics.load.dataset import Dataset
from rollout_metrics.metrics import QUANTILES, MetricOptions, MetricSpec, get_metric
from rollout_metrics.reduce.reduction import Reductions
from rollout_metrics.rollout import Rollout
from rollout_metrics.stats.daily import DailySeries, daily_series
from rollout_metrics.stats.sufficient import EventExposure, NpsCounts, Proportion, ValueCounts

__all__ = ["metric_over_time", "period_values"]

FREQS = {"D": 1, "W": 7}
TREND_COLUMNS = ["start", "end", "period", "n", "value", "ci_low", "ci_high"]


def _z(alpha: float) -> float:
    return float(special.ndtri(1.0 - alpha / 2.0))


def _band(stat: Any, spec: MetricSpec, opts: MetricOptions, z: float) -> tuple[float, float]:
    """Pointwise normal-approximation band of one bin, in raw units."""
    if isinstance(stat, EventExposure):
        if not stat.exposure:
            return math.nan, math.nan
        half = z * math.sqrt(stat.events) / stat.exposure
        return stat.rate - half, stat.rate + half
    if isinstance(stat, NpsCounts):
        if not stat.n:
            return math.nan, math.nan
        p, m = stat.promoters / stat.n, stat.detractors / stat.n
        half = z * math.sqrt(max(p + m - (p - m) ** 2, 0.0) / stat.n)
        return p - m - half, p - m + half
    if isinstance(stat, Proportion):
        if not stat.n:
            return math.nan, math.nan
        half = z * math.sqrt(stat.share * (1 - stat.share) / stat.n)
        return stat.share - half, stat.share + half
    if isinstance(stat, ValueCounts):
        if not stat.n:
            return math.nan, math.nan
        q = QUANTILES.get(opts.handling_stat) if spec.kind == "durations" else None
        if q is None:
            mom = stat.moments()
            half = z * math.sqrt(mom.variance / mom.n) if mom.n > 1 else math.nan
            return mom.mean - half, mom.mean + half
        # Distribution-free interval of a quantile: order statistics at nq -/+ z sqrt(nq(1-q)).
        v, c = stat.arrays()
        cum, n = np.cumsum(c), stat.n
        half = z * math.sqrt(n * q * (1 - q))
        lo, hi = max(math.floor(n * q - half), 1), min(math.ceil(n * q + half), n)
        return float(v[np.searchsorted(cum, lo)]), float(v[np.searchsorted(cum, hi)])
    raise DataValidationError(f"{spec.name}: no band for a {type(stat).__name__}")


def _n(stat: Any) -> float:
    return float(stat.events) if isinstance(stat, EventExposure) else float(stat.n)


def _binned(series: DailySeries, key: int, rollout: Rollout, width: int | None,
            opts: MetricOptions) -> pd.DataFrame:
    """Bins of ``width`` days counted from each period's start (whole period: ``None``)."""
    spec, z = series.spec, _z(opts.alpha)
    periods = series.days_of(rollout)
    # Each row of the segment its bin's first day (periods do not overlap), then one
    # statistic per bin from DailySeries.binned; a bin without rows gets the empty one's.
    day = series.frame["day"].to_numpy()
    first = np.full(len(day), np.nan)
    for p0, p1 in periods.values():
        inside = (series.frame["key"].to_numpy() == key) & (day >= p0) & (day < p1)
        first[inside] = p0 + (day[inside] - p0) // (width or (p1 - p0)) * (width or (p1 - p0))
    stats = {int(b): stat for b, stat in
             series.binned(first, opts)[["bin", "stat"]].itertuples(index=False)}
    empty = series.frame.iloc[:0]
    rows: list[dict[str, Any]] = []
    for period, (p0, p1) in periods.items():
        step = width or (p1 - p0)
        for b0 in range(p0, p1, step):
            stat = stats[b0] if b0 in stats else series.statistic(empty, opts)
            n = _n(stat)
            value = spec.point(stat, opts) if n or isinstance(stat, EventExposure) else math.nan
            lo, hi = _band(stat, spec, opts, z)
            rows.append({
                "start": pd.Timestamp(series.origin + dt.timedelta(days=b0)),
                "end": pd.Timestamp(series.origin + dt.timedelta(days=min(b0 + step, p1))),
                "period": period, "n": n, "value": value * spec.scale,
                "ci_low": lo * spec.scale, "ci_high": hi * spec.scale,
            })
    return pd.DataFrame(rows, columns=TREND_COLUMNS)


def _series(data: Dataset | Reductions, rollout: Rollout, metric: str, segment: Mapping[str, str] | None,
            opts: MetricOptions) -> tuple[DailySeries, int]:
    """The metric's daily series by the ``segment`` columns, and the key of ``segment``."""
    seg = dict(segment or {})
    series = daily_series(data, rollout, get_metric(metric), list(seg), opts)
    if not seg:
        return series, 0
    want = tuple(str(v) for v in seg.values())
    found = [i for i, k in enumerate(series.keys) if i and tuple(map(str, k)) == want]
    if not found:
        raise DataValidationError(
            f"{metric}: no segment {seg}; segments: {[dict(zip(seg, k, strict=False)) for k in series.keys[1:]]}")
    return series, found[0]


def metric_over_time(
    data: Dataset | Reductions, rollout: Rollout, metric: str, *, freq: str = "W",
    segment: Mapping[str, str] | None = None, alpha: float = 0.05, csat_threshold: int = 4,
    handling_stat: str = "median",
) -> pd.DataFrame:
    """One metric per day or week inside the rollout's windows, with a pointwise band.

    Every bin is the metric's own statistic (:mod:`rollout_metrics.metrics`) on the sum of
    its days in the one daily series, so a whole-period bin equals ``compare``'s
    ``before``/``after`` (handling time: the median, as in the tables).

    Parameters
    ----------
    data, rollout
        The dataset and the rollout whose windows define the bins.
    metric
        A registered metric name.
    freq
        ``"W"`` (7-day bins counted from each period's start) or ``"D"``.
    segment
        Restrict to one segment, e.g. ``{"tier": "VIP"}`` (crossed: several columns).
    alpha
        The band is a pointwise ``1 - alpha`` normal-approximation interval (NPS from the
        multinomial variance, shares from the binomial one, rates ±z·√events/exposure,
        means from the moments; medians and p90 from order statistics).
    csat_threshold, handling_stat
        As in :func:`rollout_metrics.compare`.

    Returns
    -------
    pandas.DataFrame
        ``start, end, period, n, value, ci_low, ci_high`` in the units of
        :func:`rollout_metrics.compare`.

    Examples
    --------
    >>> import rollout_metrics as rm
    >>> t = metric_over_time(rm.load_sample(), rm.Rollout("2025-09-01"), "csat", freq="D")
    >>> len(t)
    112
    """
    if freq not in FREQS:
        raise DataValidationError(f"freq must be one of {list(FREQS)}, got {freq!r}")
    opts = MetricOptions(alpha=alpha, csat_threshold=csat_threshold, handling_stat=handling_stat)
    series, key = _series(data, rollout, metric, segment, opts)
    return _binned(series, key, rollout, FREQS[freq], opts)


def period_values(
    data: Dataset | Reductions, rollout: Rollout, metric: str, *,
    segment: Mapping[str, str] | None = None, alpha: float = 0.05, csat_threshold: int = 4,
    handling_stat: str = "median",
) -> pd.DataFrame:
    """The metric over each whole period (same columns as :func:`metric_over_time`).

    These are the levels drawn as horizontal lines over each period in
    :func:`rollout_metrics.plots.plot_over_time`; they equal ``compare``'s
    ``before``/``after``.

    Examples
    --------
    >>> import rollout_metrics as rm
    >>> t = period_values(rm.load_sample(), rm.Rollout("2025-09-01"), "nps")
    >>> t["period"].tolist()
    ['before', 'after']
    """
    opts = MetricOptions(alpha=alpha, csat_threshold=csat_threshold, handling_stat=handling_stat)
    series, key = _series(data, rollout, metric, segment, opts)
    return _binned(series, key, rollout, None, opts)

