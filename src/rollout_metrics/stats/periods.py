"""Sufficient statistics per (segment, period), one reduction per table.

This is the hinge between the engine and the inference layer: the reduced
tables from :mod:`rollout_metrics.reduce.counts` are summed per segment and period into
the small frozen types of :mod:`rollout_metrics.stats.sufficient`.  Both
:func:`rollout_metrics.compare` and :func:`rollout_metrics.mix_shift` read them.

Examples
--------
>>> import rollout_metrics as rm
>>> t = period_stats("nps", rm.load_sample(), rm.Rollout("2025-09-01"), ["tier"])
>>> t.loc[("VIP",), "after"].n > 300
True
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from rollout_metrics.errors import DataValidationError, MissingColumnError
from rollout_metrics.load.dataset import Dataset
from rollout_metrics.reduce.counts import (
    CSAT_LEVELS,
    active_customers,
    assign_period,
    handling_counts,
    survey_counts,
    ticket_counts,
)
from rollout_metrics.rollout import Rollout
from rollout_metrics.stats.sufficient import EventExposure, NpsCounts, Proportion, ValueCounts

__all__ = ["METRICS", "MetricSpec", "period_stats"]


@dataclass(frozen=True)
class MetricSpec:
    """How a metric is reported: its table, units and scale from raw units."""

    name: str
    table: str
    units: str
    scale: float
    relative: bool = True


METRICS: dict[str, MetricSpec] = {
    "nps": MetricSpec("nps", "surveys", "NPS points", 100.0, relative=False),
    "csat": MetricSpec("csat", "surveys", "% top-2-box", 100.0),
    "csat_mean": MetricSpec("csat_mean", "surveys", "mean score", 1.0),
    "churn": MetricSpec("churn", "customers", "% per 30 customer-days", 3000.0),
    "complaints": MetricSpec("complaints", "tickets", "per 1,000 customers per 30 days",
                             30000.0),
    "handling_time": MetricSpec("handling_time", "tickets", "hours", 1 / 60),
}


_NEEDS = {"nps": "nps_score", "csat": "csat_score", "csat_mean": "csat_score",
          "churn": "churn_date", "complaints": "is_complaint", "handling_time": "resolved_at"}


def _origin(rollout: Rollout) -> dt.datetime:
    return rollout.span[0]


def _by_period(frame: pd.DataFrame, by: list[str], cols: list[str], rollout: Rollout
               ) -> pd.DataFrame:
    """Sum ``cols`` per (segment, period) with an overall segment; index (*segment, period)."""
    frame = frame.assign(period=assign_period(frame["day"], rollout, _origin(rollout)))
    frame = frame[frame["period"].notna()]
    overall = frame.groupby("period")[cols].sum()
    overall.index = pd.MultiIndex.from_tuples(
        [(("overall",) * max(1, len(by))) + (p,) for p in overall.index]
    )
    if not by:
        return overall
    parts = frame.groupby([*by, "period"])[cols].sum()
    return pd.concat([overall, parts])


def _table(values: pd.DataFrame, build: Any, by: list[str]) -> pd.DataFrame:
    """DataFrame: index = segment key tuple, columns = periods, cells = sufficient stats.

    ``build`` gets each cell's sums as a dict (column -> int), or ``None`` for an empty cell.
    """
    cols = list(values.columns)
    sums = {idx: dict(zip(cols, row, strict=True))
            for idx, row in zip(values.index, values.to_numpy().tolist(), strict=True)}
    keys = sorted({idx[:-1] for idx in sums}, key=lambda k: (k[0] != "overall", k))
    periods = sorted({idx[-1] for idx in sums})
    data = {p: [build(sums.get((*k, p))) for k in keys] for p in periods}
    index = pd.MultiIndex.from_tuples(keys, names=by or ["segment"])
    return pd.DataFrame(data, index=index)


def period_stats(
    metric: str, data: Dataset, rollout: Rollout, by: list[str], *,
    csat_threshold: int = 4, measure: str = "resolution",
) -> pd.DataFrame:
    """Sufficient statistics of ``metric`` per segment (rows) and period (columns).

    Rows are the ``overall`` segment first, then each segment key; every cell is a
    :mod:`~rollout_metrics.stats.sufficient` object (a zero object when the cell is empty).
    Extra columns: for ``complaints`` the daily series (``daily_<period>``), for
    ``handling_time`` the open-ticket counts (``open_<period>``).
    """
    if metric not in METRICS:
        raise DataValidationError(f"unknown metric {metric!r}; metrics: {list(METRICS)}")
    needed = _NEEDS.get(metric)
    if needed:
        names = data.table(METRICS[metric].table).collect_schema().names()
        if needed not in names:
            raise MissingColumnError(
                f"{metric}: the {METRICS[metric].table} table has no {needed!r} column, which "
                f"this metric needs. Available columns: {names}"
            )
    if metric in ("nps", "csat", "csat_mean"):
        counts = survey_counts(data, rollout, by)
        if metric == "nps":
            v = _by_period(counts, by, ["promoters", "passives", "detractors"], rollout)
            return _table(v, lambda c: NpsCounts(0, 0, 0) if c is None else NpsCounts(
                int(c["promoters"]), int(c["passives"]), int(c["detractors"])), by)
        levels = [f"csat_{k}" for k in CSAT_LEVELS]
        v = _by_period(counts, by, levels, rollout)
        if metric == "csat_mean":
            return _table(v, lambda c: ValueCounts.from_pairs(
                CSAT_LEVELS, [0] * 5 if c is None else [int(c[x]) for x in levels]), by)
        top = [f"csat_{k}" for k in CSAT_LEVELS if k >= csat_threshold]
        return _table(v, lambda c: Proportion(0, 0) if c is None else Proportion(
            int(sum(c[x] for x in top)), int(sum(c[x] for x in levels))), by)
    if metric == "churn":
        act = active_customers(data, rollout, by)
        v = _by_period(act, by, ["churned", "active"], rollout)
        return _table(v, lambda c: EventExposure(0, 0.0) if c is None else EventExposure(
            int(c["churned"]), float(c["active"])), by)
    if metric == "complaints":
        return _complaints(data, rollout, by)
    return _handling(data, rollout, by, measure)


def _wide(frame: pd.DataFrame, by: list[str], value: str, days: pd.Index) -> pd.DataFrame:
    """``value`` per (segment key) x day, zeros where a day has no row."""
    keys = by or ["__all"]
    wide = frame.assign(__all="overall").pivot_table(
        index=keys, columns="day", values=value, aggfunc="sum")
    return wide.reindex(columns=days).fillna(0)


def _complaints(data: Dataset, rollout: Rollout, by: list[str]) -> pd.DataFrame:
    tickets = ticket_counts(data, rollout, by)
    customer_by = [c for c in by if c in data.segment_columns]
    # Exposure is by customer segment; a ticket-level segment (channel) uses all customers.
    per_segment_exposure = customer_by == by
    act = active_customers(data, rollout, by if per_segment_exposure else [])
    origin = _origin(rollout)
    days = pd.Index(sorted(act["day"].unique()), name="day")
    period = assign_period(pd.Series(days), rollout, origin).to_numpy()
    dates = pd.Timestamp(origin) + pd.to_timedelta(days, unit="D")
    events = _wide(tickets, by, "complaints", days)
    exposure = _wide(act, by if per_segment_exposure else [], "active", days)
    total_events = events.sum(axis=0).to_numpy()
    total_exposure = exposure.sum(axis=0).to_numpy()
    overall = ("overall",) * max(1, len(by))
    series: list[tuple[tuple[Any, ...], Any, Any]] = [(overall, total_events, total_exposure)]
    if by:
        keys = events.index.union(exposure.index) if per_segment_exposure else events.index
        ev = events.reindex(keys).fillna(0)
        ex = exposure.reindex(keys).fillna(0) if per_segment_exposure else None
        for i, key in enumerate(keys):
            k = key if isinstance(key, tuple) else (key,)
            series.append((k, ev.iloc[i].to_numpy(),
                           total_exposure if ex is None else ex.iloc[i].to_numpy()))
    # Day positions of each period, found once for every segment.
    names = sorted({str(p) for p in period if isinstance(p, str)})
    at = {name: np.flatnonzero(period == name) for name in names}
    rows = []
    for _, ev_k, ex_k in series:
        events, exposure = ev_k.astype(int), ex_k.astype(float)
        row: dict[str, Any] = {}
        for name, idx in at.items():
            row[name] = EventExposure(int(events[idx].sum()), float(exposure[idx].sum()))
            row[f"daily_{name}"] = pd.DataFrame({
                "date": dates[idx], "events": events[idx], "exposure": exposure[idx],
                "period": np.full(idx.size, name, dtype=object)})
        rows.append(row)
    index = pd.MultiIndex.from_tuples([k for k, _, _ in series], names=by or ["segment"])
    return pd.DataFrame(rows, index=index)


def _handling(data: Dataset, rollout: Rollout, by: list[str], measure: str) -> pd.DataFrame:
    counts = handling_counts(data, rollout, by, measure=measure)
    is_open = counts["minutes"].isna().to_numpy()
    minutes = counts["minutes"].to_numpy(dtype=float, na_value=np.nan)
    tickets = counts["tickets"].to_numpy(dtype=np.int64)
    periods = list(rollout.windows())
    overall = ("overall",) * max(1, len(by))
    # Row positions per (segment, period), found once: no boolean mask per cell.
    keys = [*by, "period"]
    positions = counts.groupby(keys, sort=False).indices if by else {}
    by_period = counts.groupby("period", sort=False).indices
    segment_keys = sorted({k[:-1] if isinstance(k, tuple) else () for k in positions})
    empty = np.array([], dtype=np.int64)

    def cells(rows_of: Any) -> dict[str, Any]:
        row: dict[str, Any] = {}
        for period in periods:
            at = rows_of(period)
            done, open_ = at[~is_open[at]], at[is_open[at]]
            row[period] = ValueCounts.from_pairs(minutes[done], tickets[done])
            row[f"open_{period}"] = int(tickets[open_].sum())
        return row

    rows = [cells(lambda p: by_period.get(p, empty))]
    index = [overall]
    for key in segment_keys:
        rows.append(cells(lambda p, k=key: positions.get((*k, p), empty)))
        index.append(key)
    return pd.DataFrame(rows, index=pd.MultiIndex.from_tuples(index, names=by or ["segment"]))
