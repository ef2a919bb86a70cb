"""Kaplan-Meier curves and the log-rank test from per-time event and censoring counts.

The sufficient statistic of right-censored durations is, for each distinct time, the number
of events and the number of censorings at that time (a *survival table* with columns
``time``, ``events``, ``censored``); tables of days or segments add by summing the counts at
equal times.  Nothing here needs one row per customer.

With delayed entry (left truncation: customers who sign up during a window) the table also
counts the subjects entering the risk set at each time (``entered``).  At risk at time t are
the subjects who entered at or before t and had no event or censoring before t: the events
and censorings at t are in the risk set of t.

Examples
--------
>>> km = kaplan_meier([6, 7, 9], [3, 1, 0], [1, 0, 1])
>>> km["survival"].round(4).tolist()
[0.5, 0.25, 0.25]

Three of four customers churn on day 3; a fifth signs up on day 4 and stays:

>>> km = kaplan_meier([3, 4, 9], [3, 0, 0], [0, 0, 2], entered_at=[4, 1, 0])
>>> km[["time", "at_risk", "survival"]].to_numpy().tolist()
[[3.0, 4.0, 0.25], [4.0, 2.0, 0.25], [9.0, 2.0, 0.25]]
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import special, stats

from rollout_metrics.errors import DataValidationError, InsufficientDataError, MissingColumnError
from rollout_metrics.infer.two_sample import check_alpha

__all__ = ["LogRankResult", "kaplan_meier", "logrank_test", "median_survival"]

TABLE_COLUMNS = ("time", "events", "censored")


def _counts(x: ArrayLike, what: str, label: str) -> NDArray[np.float64]:
    """Validated non-negative whole counts as a flat float array."""
    out = np.asarray(x, dtype=float).ravel()
    bad = ~np.isfinite(out) | (out < 0) | (out != np.round(out))
    if bad.any():
        raise DataValidationError(
            f"{label}: {what} counts must be non-negative whole numbers, "
            f"e.g. {out[bad][:5].tolist()}"
        )
    return out


def _entry_table(
    times: ArrayLike,
    events_at: ArrayLike,
    censored_at: ArrayLike,
    entered_at: ArrayLike | None,
    label: str,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Validated (time, events, censored, entered), sorted by time with equal times summed.

    Without ``entered_at`` every subject enters at the first time.
    """
    t = np.asarray(times, dtype=float).ravel()
    d = np.asarray(events_at, dtype=float).ravel()
    c = np.asarray(censored_at, dtype=float).ravel()
    e = None if entered_at is None else np.asarray(entered_at, dtype=float).ravel()
    if not t.size == d.size == c.size or (e is not None and e.size != t.size):
        sizes = f"{t.size}, {d.size} and {c.size}"
        if e is not None:
            sizes = f"{t.size}, {d.size}, {c.size} and {e.size}"
        names = "events and censored" if e is None else "events, censored and entered"
        raise DataValidationError(f"{label}: times, {names} need equal lengths, got {sizes}")
    if not np.all(np.isfinite(t)):
        raise DataValidationError(f"{label}: times must be finite, e.g. {t[~np.isfinite(t)][:5]}")
    d, c = _counts(d, "events", label), _counts(c, "censored", label)
    if d.sum() + c.sum() == 0:
        raise InsufficientDataError(f"{label} has no subjects (all counts are 0)")
    grid, inverse = np.unique(t, return_inverse=True)
    events = np.asarray(np.bincount(inverse, weights=d), dtype=float)
    censored = np.asarray(np.bincount(inverse, weights=c), dtype=float)
    if e is None:
        entered = np.zeros(grid.size)
        entered[0] = events.sum() + censored.sum()
        return np.asarray(grid, dtype=float), events, censored, entered
    entered = np.asarray(np.bincount(inverse, weights=_counts(e, "entered", label)), dtype=float)
    if entered.sum() != events.sum() + censored.sum():
        raise DataValidationError(
            f"{label}: {entered.sum():.0f} subjects entered but {events.sum() + censored.sum():.0f}"
            " left by an event or a censoring; every subject who enters must leave"
        )
    remaining = np.cumsum(entered) - np.cumsum(events + censored)
    if (remaining < 0).any():
        first = grid[remaining < 0][0]
        raise DataValidationError(
            f"{label}: at time {first:g} more subjects have left by an event or a censoring "
            "than have entered"
        )
    return np.asarray(grid, dtype=float), events, censored, entered


def kaplan_meier(
    times: ArrayLike,
    events_at: ArrayLike,
    censored_at: ArrayLike,
    *,
    entered_at: ArrayLike | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Kaplan-Meier estimate with Greenwood variance and a log-log confidence band.

    Parameters
    ----------
    times : array-like
        Distinct (or repeated; they are summed) times, e.g. days since the window start.
    events_at, censored_at : array-like of int
        Number of events and of censorings at each time.  Censorings at a time count as at
        risk at that time (the usual convention: events happen first).
    entered_at : array-like of int, optional
        Delayed entry (left truncation): number of subjects entering the risk set at each
        time.  They are at risk from that time on, an event at their entry time included.
        Every subject who enters must leave by an event or a censoring.  Default: every
        subject is at risk from the first time on.
    alpha : float
        The band has pointwise coverage ``1 - alpha``.

    Returns
    -------
    pandas.DataFrame
        One row per time: ``time``, ``at_risk``, ``events``, ``censored``, ``survival``,
        ``ci_low``, ``ci_high`` (and ``entered`` after ``time`` when ``entered_at`` is
        given).  ``at_risk`` at time t is the number who entered at or before t, minus the
        events and censorings before t; the product-limit estimate is
        S(t) = Π_{tⱼ ≤ t} (1 − dⱼ/nⱼ) (a time nobody is at risk at leaves it unchanged).
        The band is S^{exp(±z·σ)} with σ² = Σ dⱼ/(nⱼ(nⱼ − dⱼ)) / (log S)² (Greenwood;
        Kalbfleisch & Prentice 2002; R ``survfit(conf.type = "log-log")``); it is (1, 1)
        before the first event and (0, 0) once S reaches 0.

    Examples
    --------
    >>> km = kaplan_meier([6, 7, 10], [3, 1, 1], [1, 0, 1])
    >>> km[["time", "at_risk", "events"]].to_numpy().tolist()
    [[6.0, 7.0, 3.0], [7.0, 3.0, 1.0], [10.0, 2.0, 1.0]]

    Two customers from before the window, two signing up on day 1; the churn on day 1 of
    a customer who signed up that day counts against four at risk:

    >>> km = kaplan_meier([0, 1, 2], [0, 2, 0], [0, 0, 2], entered_at=[2, 2, 0])
    >>> km[["time", "entered", "at_risk", "survival"]].to_numpy().tolist()
    [[0.0, 2.0, 2.0, 1.0], [1.0, 2.0, 4.0, 0.5], [2.0, 0.0, 2.0, 0.5]]
    """
    alpha = check_alpha(alpha)
    t, d, c, e = _entry_table(times, events_at, censored_at, entered_at, "survival table")
    at_risk = np.cumsum(e) - (np.cumsum(d + c) - (d + c))
    hazard = np.divide(d, at_risk, out=np.zeros_like(d), where=at_risk > 0)
    survival = np.cumprod(1.0 - hazard)
    z = float(special.ndtri(1.0 - alpha / 2.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        greenwood = np.cumsum(np.where(at_risk > d, d / (at_risk * (at_risk - d)), 0.0))
        log_s = np.log(survival)
        sigma = np.sqrt(greenwood) / np.abs(log_s)
        low = survival ** np.exp(z * sigma)
        high = survival ** np.exp(-z * sigma)
    inside = (survival > 0.0) & (survival < 1.0)
    low = np.where(inside, low, survival)
    high = np.where(inside, high, survival)
    columns = {"time": t, "entered": e} if entered_at is not None else {"time": t}
    return pd.DataFrame(
        {
            **columns,
            "at_risk": at_risk,
            "events": d,
            "censored": c,
            "survival": survival,
            "ci_low": low,
            "ci_high": high,
        }
    )


def median_survival(km: pd.DataFrame) -> float:
    """First time at which the Kaplan-Meier survival is at or below 0.5; NaN if never.

    Examples
    --------
    >>> median_survival(kaplan_meier([1, 2, 3], [1, 1, 1], [0, 0, 0]))
    2.0
    """
    reached = km.loc[km["survival"] <= 0.5, "time"]
    return float(reached.iloc[0]) if len(reached) else math.nan


@dataclass(frozen=True, slots=True)
class LogRankResult:
    """Two-group log-rank test: chi-square (1 df), p-value, observed and expected events."""

    chi2: float
    p_value: float
    observed_before: float
    expected_before: float
    observed_after: float
    expected_after: float
    df: int = 1


def _from_frame(table: pd.DataFrame, label: str) -> tuple[NDArray[np.float64], ...]:
    if not isinstance(table, pd.DataFrame):
        raise DataValidationError(f"{label} must be a pandas DataFrame, got {type(table).__name__}")
    missing = [col for col in TABLE_COLUMNS if col not in table.columns]
    if missing:
        raise MissingColumnError(
            f"{label} is missing column(s) {missing}; available: {list(table.columns)}. "
            "A survival table has one row per time with time, events and censored."
        )
    t, d, c, _ = _entry_table(table["time"], table["events"], table["censored"], None, label)
    return t, d, c


def logrank_test(table_before: pd.DataFrame, table_after: pd.DataFrame) -> LogRankResult:
    """Log-rank (Mantel-Cox) test of equal hazards from two survival tables.

    Each table has columns ``time``, ``events``, ``censored`` (counts per time).  With
    hypergeometric variance Σ dⱼ·(n₁ⱼ/nⱼ)(1 − n₁ⱼ/nⱼ)(nⱼ − dⱼ)/(nⱼ − 1), as R
    ``survival::survdiff`` and lifelines ``logrank_test``.

    Examples
    --------
    >>> import pandas as pd
    >>> a = pd.DataFrame({"time": [1, 2, 3], "events": [2, 1, 1], "censored": [0, 0, 1]})
    >>> b = pd.DataFrame({"time": [2, 4, 5], "events": [1, 1, 1], "censored": [1, 0, 1]})
    >>> round(logrank_test(a, b).chi2, 4)
    3.1508
    """
    tb, db, cb = _from_frame(table_before, "table_before")
    ta, da, ca = _from_frame(table_after, "table_after")
    grid = np.union1d(tb, ta)

    def on_grid(t: NDArray[np.float64], x: NDArray[np.float64]) -> NDArray[np.float64]:
        out = np.zeros(grid.size)
        out[np.searchsorted(grid, t)] = x
        return out

    d_b, c_b, d_a, c_a = on_grid(tb, db), on_grid(tb, cb), on_grid(ta, da), on_grid(ta, ca)
    n_b = d_b.sum() + c_b.sum() - np.concatenate([[0.0], np.cumsum(d_b + c_b)[:-1]])
    n_a = d_a.sum() + c_a.sum() - np.concatenate([[0.0], np.cumsum(d_a + c_a)[:-1]])
    n, d = n_a + n_b, d_a + d_b
    use = (d > 0) & (n > 0)
    share = n_a[use] / n[use]
    expected_a = float(np.sum(d[use] * share))
    nn = n[use]
    var = float(
        np.sum(d[use] * share * (1.0 - share) * np.where(nn > 1, (nn - d[use]) / (nn - 1), 0.0))
    )
    if var <= 0.0:
        raise InsufficientDataError("the log-rank variance is 0: no event with both groups at risk")
    observed_a = float(d_a.sum())
    chi2 = (observed_a - expected_a) ** 2 / var
    total = float(d.sum())
    return LogRankResult(
        chi2=chi2,
        p_value=float(stats.chi2.sf(chi2, 1)),
        observed_before=total - observed_a,
        expected_before=total - expected_a,
        observed_after=observed_a,
        expected_after=expected_a,
    )
