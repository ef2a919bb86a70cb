"""Point metrics for other scripts: plain inputs in, a plain float out.

Each function computes one number the way :func:`rollout_metrics.compare` does,
through the same sufficient statistics, so a script and a report never disagree.

Examples
--------
>>> nps([10, 9, 8, 3, 10])
40.0
>>> csat([5, 4, 3, 1])
50.0
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rollout_metrics.errors import DataValidationError, InsufficientDataError
from rollout_metrics.load.dataset import Dataset, load_dataset
from rollout_metrics.load.mapping import per_table
from rollout_metrics.metrics import MetricOptions, get_metric
from rollout_metrics.reduce.counts import active_customers, handling_counts, ticket_counts
from rollout_metrics.rollout import _as_date, _midnight
from rollout_metrics.stats.daily import check_metric_columns
from rollout_metrics.stats.sufficient import EventExposure, NpsCounts, Proportion, ValueCounts

__all__ = ["churn_rate", "complaint_rate", "csat", "handling_time", "nps"]


def _scores(values: Iterable[float], low: int, high: int, what: str) -> NDArray[np.float64]:
    arr: NDArray[np.float64] = np.asarray(list(values), dtype=float)
    arr = arr[~np.isnan(arr)]
    bad = arr[(arr < low) | (arr > high) | (arr != np.round(arr))]
    if bad.size:
        raise DataValidationError(
            f"{what}: {bad.size} scores outside the whole numbers {low}-{high}, "
            f"e.g. {bad[:5].tolist()}"
        )
    if not arr.size:
        raise DataValidationError(f"{what}: no scores (empty values are ignored)")
    return arr


def nps(scores: Iterable[float]) -> float:
    """Net Promoter Score in points (-100..100) of 0-10 scores; empty (NaN) ignored."""
    s = _scores(scores, 0, 10, "nps")
    return NpsCounts(int((s >= 9).sum()), int(((s >= 7) & (s <= 8)).sum()),
                     int((s <= 6).sum())).score


def csat(scores: Iterable[float], threshold: int = 4, scale: tuple[int, int] = (1, 5)) -> float:
    """Top-box CSAT in percent: share of scores >= ``threshold`` on ``scale``."""
    s = _scores(scores, scale[0], scale[1], "csat")
    return 100.0 * Proportion(int((s >= threshold).sum()), int(s.size)).share


def _window(start: Any, end: Any) -> tuple[dt.datetime, dt.datetime]:
    lo, hi = _midnight(_as_date(start, "start")), _midnight(_as_date(end, "end"))
    if hi <= lo:
        raise DataValidationError(f"end ({hi.date()}) must be after start ({lo.date()})")
    return lo, hi


def _rate(data: Dataset, metric: str, events: float, exposure: float) -> float:
    if exposure <= 0:
        raise InsufficientDataError(f"{metric}: no active customer-days in the window")
    spec = get_metric(metric)
    return spec.value(EventExposure(int(events), exposure), MetricOptions())


def churn_rate(customers: Any, start: Any, end: Any, *,
               columns: Mapping[str, Any] | None = None) -> float:
    """Churn in % per 30 customer-days at risk over ``[start, end)``.

    ``customers`` is any table :func:`~rollout_metrics.load_dataset` reads; ``columns``
    maps your column names to ours as in ``load_dataset``.  Exposure runs from
    max(signup, start) to min(churn, end) in days.  A table without a churn date column
    is an error, never a rate of 0.

    Examples
    --------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"customer_id": [1, 2], "signup_date": ["2025-01-01"] * 2,
    ...                   "churn_date": [None, "2025-01-16"]})
    >>> round(churn_rate(c, "2025-01-01", "2025-01-31"), 4)  # 1 churn in 30 + 15 days
    66.6667
    """
    lo, hi = _window(start, end)
    data = load_dataset({"customers": customers}, columns=columns)
    check_metric_columns(data, get_metric("churn"), MetricOptions())
    act = active_customers(data, None, [], start=lo, end=hi)
    return _rate(data, "churn", act["churned"].sum(), float(act["active"].sum()))


def complaint_rate(tickets: Any, customers: Any, start: Any, end: Any, *,
                   columns: Mapping[str, Any] | None = None) -> float:
    """Complaints per 1,000 active customers per 30 days over ``[start, end)``.

    ``columns`` maps your column names to ours per table, as in ``load_dataset``
    (``{"tickets": {...}, "customers": {...}}``).  Tickets without a complaint flag are an
    error, never a rate of 0.

    Examples
    --------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"customer_id": [1, 2], "signup_date": ["2025-01-01"] * 2})
    >>> t = pd.DataFrame({"ticket_id": [1], "customer_id": [1], "is_complaint": [True],
    ...                   "created_at": ["2025-01-05 10:00:00"]})
    >>> round(complaint_rate(t, c, "2025-01-01", "2025-01-31"), 1)  # 1 in 60 customer-days
    500.0
    """
    lo, hi = _window(start, end)
    data = load_dataset({"customers": customers, "tickets": tickets}, columns=columns)
    check_metric_columns(data, get_metric("complaints"), MetricOptions())
    act = active_customers(data, None, [], start=lo, end=hi)
    t = ticket_counts(data, None, [], start=lo, end=hi)
    return _rate(data, "complaints", t["complaints"].sum(), float(act["active"].sum()))


def handling_time(tickets: Any, stat: str = "median", measure: str = "resolution", *,
                  columns: Mapping[str, Any] | None = None) -> float:
    """Resolution (or first-response) time in hours: ``"median"``, ``"p90"`` or ``"mean"``.

    ``tickets`` is a tickets table, or a dict of tables as in
    :func:`~rollout_metrics.load_dataset`; ``columns`` maps your column names to ours as
    there (a mistake in it is an error).  Open tickets have no resolution time and are left
    out of this one number; use :func:`~rollout_metrics.compare` to see them counted as
    censored.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"ticket_id": [1, 2, 3], "customer_id": [1, 1, 1],
    ...                   "created_at": ["2025-01-01 00:00:00"] * 3,
    ...                   "resolved_at": ["2025-01-01 01:00:00", "2025-01-01 03:00:00", None]})
    >>> c = pd.DataFrame({"customer_id": [1], "signup_date": ["2024-01-01"]})
    >>> handling_time({"tickets": t, "customers": c})
    2.0
    >>> mine = t.rename(columns={"customer_id": "client", "resolved_at": "closed"})
    >>> handling_time(mine, columns={"client": "customer_id", "closed": "resolved_at"})
    2.0
    """
    if stat not in ("median", "p90", "mean"):
        raise DataValidationError(f"stat must be 'median', 'p90' or 'mean', got {stat!r}")
    if measure not in ("resolution", "first_response"):
        raise DataValidationError(
            f"measure must be 'resolution' or 'first_response', got {measure!r}")
    if isinstance(tickets, dict):
        data = load_dataset(tickets, columns=columns)
    else:
        import narwhals as nw

        mine = per_table(columns, {"tickets": nw.from_native(tickets).columns})["tickets"]
        key = next((k for k, v in mine.items() if v == "customer_id"), "customer_id")
        data = load_dataset({"tickets": tickets, "customers": _customers_of(tickets, key)},
                            columns={"tickets": mine})
    counts = handling_counts(data, None, [], measure=measure)
    done = counts[counts["minutes"].notna()]
    vc = ValueCounts.from_pairs(done["minutes"].astype(float), done["tickets"])
    if vc.n == 0:
        raise DataValidationError("handling_time: no resolved tickets")
    minutes = vc.moments().mean if stat == "mean" else vc.quantile(0.9 if stat == "p90" else 0.5)
    return minutes / 60.0


def _customers_of(tickets: Any, key: str = "customer_id") -> Any:
    """A minimal customers table for tickets given alone (every customer known); ``key`` is
    the tickets' customer column."""
    import narwhals as nw

    frame = nw.from_native(tickets)
    if key not in frame.columns:
        raise DataValidationError(
            f"tickets have no column {key!r} (the customer id); columns: {frame.columns}; "
            "map yours with columns={'your_column': 'customer_id'}")
    ids = frame.select(nw.col(key).alias("customer_id")).unique()
    if isinstance(ids, nw.LazyFrame):
        ids = ids.collect()
    return ids.with_columns(nw.lit("1970-01-01").alias("signup_date")).to_native()
