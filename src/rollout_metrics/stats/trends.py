"""Small tables behind the plots: each metric per day or week.

Everything here starts from the per-day reductions of :mod:`rollout_metrics.reduce.counts`
(or one small narwhals group-by for handling time per day) and never collects raw rows.

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
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from rollout_metrics.errors import DataValidationError
from rollout_metrics.load.dataset import Dataset
from rollout_metrics.reduce.counts import (
    active_customers,
    assign_period,
    handling_counts,
    survey_counts,
    ticket_counts,
)
from rollout_metrics.rollout import Rollout
from rollout_metrics.stats.periods import METRICS

__all__ = ["metric_over_time", "period_values"]

FREQS = {"D": 1, "W": 7}
TREND_COLUMNS = ["start", "end", "period", "n", "value", "ci_low", "ci_high"]


def _z(alpha: float) -> float:
    return float(special.ndtri(1.0 - alpha / 2.0))


def _filter(frame: pd.DataFrame, segment: Mapping[str, str]) -> pd.DataFrame:
    for col, value in segment.items():
        frame = frame[frame[col].astype(str) == str(value)]
    return frame


def _handling_daily(data: Dataset, rollout: Rollout, by: list[str]) -> pd.DataFrame:
    """Per (day, segment): resolved tickets, sum and sum of squares of minutes, from the
    shared whole-minute value counts (:func:`~rollout_metrics.reduce.counts.handling_counts`)."""
    h = handling_counts(data, rollout, by, grain="day")
    h = h[h["minutes"].notna()]
    m = h["minutes"].astype(float)
    out = h[["day", *by]].assign(n=h["tickets"], s=m * h["tickets"], ss=m * m * h["tickets"])
    return out.groupby(["day", *by], as_index=False)[["n", "s", "ss"]].sum()


def _daily(data: Dataset, rollout: Rollout, metric: str, segment: Mapping[str, str],
           csat_threshold: int) -> tuple[str, pd.DataFrame]:
    """The per-day sufficient statistics: ``("mean", day/n/s/ss)`` or ``("rate", day/e/x)``."""
    by = list(segment)
    if metric in ("nps", "csat"):
        c = _filter(survey_counts(data, rollout, by), segment)
        if metric == "nps":
            s = c["promoters"] - c["detractors"]
            return "mean", pd.DataFrame({"day": c["day"], "n": c["nps_n"], "s": s,
                                         "ss": c["promoters"] + c["detractors"]})
        top = sum(c[f"csat_{k}"] for k in range(csat_threshold, 6))
        return "mean", pd.DataFrame({"day": c["day"], "n": c["csat_n"], "s": top, "ss": top})
    if metric == "churn":
        c = _filter(active_customers(data, rollout, by), segment)
        return "rate", pd.DataFrame({"day": c["day"], "e": c["churned"], "x": c["active"]})
    if metric == "complaints":
        t = _filter(ticket_counts(data, rollout, by), segment)
        customer_seg = {k: v for k, v in segment.items() if k in data.segment_columns}
        a = _filter(active_customers(data, rollout, list(customer_seg)), customer_seg)
        e = t.groupby("day")["complaints"].sum()
        x = a.groupby("day")["active"].sum()
        days = x.index
        return "rate", pd.DataFrame({"day": days, "e": e.reindex(days, fill_value=0).to_numpy(),
                                     "x": x.to_numpy()})
    if metric == "handling_time":
        c = _filter(_handling_daily(data, rollout, by), segment)
        return "mean", c[["day", "n", "s", "ss"]]
    raise DataValidationError(
        f"unknown metric {metric!r}; metrics: ['nps', 'csat', 'churn', 'complaints', "
        "'handling_time']"
    )


def _summarise(kind: str, g: pd.DataFrame, scale: float, z: float) -> dict[str, float]:
    if kind == "mean":
        n, s, ss = float(g["n"].sum()), float(g["s"].sum()), float(g["ss"].sum())
        if n == 0:
            return {"n": 0.0, "value": np.nan, "ci_low": np.nan, "ci_high": np.nan}
        mean = s / n
        var = max(ss / n - mean * mean, 0.0) * n / max(n - 1.0, 1.0)
        half = z * np.sqrt(var / n)
    else:
        n, x = float(g["e"].sum()), float(g["x"].sum())
        if x == 0:
            return {"n": n, "value": np.nan, "ci_low": np.nan, "ci_high": np.nan}
        mean = n / x
        half = z * np.sqrt(n) / x
    return {"n": n, "value": mean * scale, "ci_low": (mean - half) * scale,
            "ci_high": (mean + half) * scale}


def _binned(data: Dataset, rollout: Rollout, metric: str, width: int | None,
            segment: Mapping[str, str] | None, alpha: float, csat_threshold: int
            ) -> pd.DataFrame:
    kind, daily = _daily(data, rollout, metric, dict(segment or {}), csat_threshold)
    origin = rollout.span[0]
    daily = daily.assign(period=assign_period(daily["day"], rollout, origin))
    daily = daily[daily["period"].notna()]
    scale, z = METRICS[metric].scale, _z(alpha)
    rows: list[dict[str, Any]] = []
    for period, (start, end) in rollout.windows().items():
        p0, p1 = (start - origin).days, (end - origin).days
        part = daily[daily["period"] == period]
        step = width or (p1 - p0)
        for b0 in range(p0, p1, step):
            g = part[(part["day"] >= b0) & (part["day"] < b0 + step)]
            rows.append({
                "start": pd.Timestamp(origin + dt.timedelta(days=b0)),
                "end": pd.Timestamp(origin + dt.timedelta(days=min(b0 + step, p1))),
                "period": period, **_summarise(kind, g, scale, z),
            })
    return pd.DataFrame(rows, columns=TREND_COLUMNS)


def metric_over_time(
    data: Dataset, rollout: Rollout, metric: str, *, freq: str = "W",
    segment: Mapping[str, str] | None = None, alpha: float = 0.05, csat_threshold: int = 4,
) -> pd.DataFrame:
    """One metric per day or week inside the rollout's windows, with a pointwise CI.

    Parameters
    ----------
    data, rollout
        The dataset and the rollout whose windows define the bins.
    metric
        ``"nps"``, ``"csat"``, ``"churn"``, ``"complaints"`` or ``"handling_time"``.
    freq
        ``"W"`` (7-day bins counted from each period's start) or ``"D"``.
    segment
        Restrict to one segment, e.g. ``{"tier": "VIP"}``.
    alpha
        The band is a normal-approximation ``1 - alpha`` interval: mean ± z·SE for NPS
        (scores +1/0/−1), CSAT top-box and mean handling time; ±z·√events/exposure for
        the churn and complaint rates.
    csat_threshold
        Top-box threshold of CSAT (4 = top-2 of 5).

    Returns
    -------
    pandas.DataFrame
        ``start, end, period, n, value, ci_low, ci_high`` in the units of
        :func:`rollout_metrics.compare`, except handling time, which is the *mean* in
        hours (medians of bins do not add up).

    Examples
    --------
    >>> import rollout_metrics as rm
    >>> t = metric_over_time(rm.load_sample(), rm.Rollout("2025-09-01"), "csat", freq="D")
    >>> len(t)
    112
    """
    if freq not in FREQS:
        raise DataValidationError(f"freq must be one of {list(FREQS)}, got {freq!r}")
    return _binned(data, rollout, metric, FREQS[freq], segment, alpha, csat_threshold)


def period_values(
    data: Dataset, rollout: Rollout, metric: str, *,
    segment: Mapping[str, str] | None = None, alpha: float = 0.05, csat_threshold: int = 4,
) -> pd.DataFrame:
    """The metric over each whole period (same columns as :func:`metric_over_time`).

    These are the levels drawn as horizontal lines over each period in
    :func:`rollout_metrics.plots.plot_over_time`.

    Examples
    --------
    >>> import rollout_metrics as rm
    >>> t = period_values(rm.load_sample(), rm.Rollout("2025-09-01"), "nps")
    >>> t["period"].tolist()
    ['before', 'after']
    """
    return _binned(data, rollout, metric, None, segment, alpha, csat_threshold)

