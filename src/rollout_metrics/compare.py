"""Compare each metric before vs after the change, per segment: the public API.

The pipeline end to end: reduce on the data's engine (:mod:`.reduce`), sum the
sufficient statistics per segment and period (:mod:`.stats_table`), test on
them only (:mod:`.inference`, :mod:`.rates`, :mod:`.ranks`), adjust the p-values
of the whole call as one family (:mod:`.multiple`), and attach the minimum
detectable effect of every row (:mod:`.power`).

Every function returns a tidy DataFrame, one row per (metric, segment,
comparison), the overall row first, with the columns of :data:`COLUMNS`.
``ci_low``/``ci_high`` bound ``delta`` (after - before) in the metric's units.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from rollout_metrics.errors import DataValidationError, PeriodError
from rollout_metrics.infer.multiple import adjust_pvalues
from rollout_metrics.infer.power import mde_from_se, mde_nps, mde_proportion, mde_rate
from rollout_metrics.infer.ranks import quantile_diff
from rollout_metrics.infer.rates import poisson_rate_test, rate_test_auto
from rollout_metrics.infer.results import DiffResult
from rollout_metrics.infer.two_sample import nps_diff, proportion_diff, welch_diff
from rollout_metrics.load.dataset import Dataset
from rollout_metrics.reduce.segments import normalise_by
from rollout_metrics.rollout import Rollout
from rollout_metrics.stats.periods import METRICS, period_stats
from rollout_metrics.stats.sufficient import EventExposure, NpsCounts, Proportion, ValueCounts

__all__ = [
    "COLUMNS",
    "DEFAULT_METRICS",
    "compare",
    "compare_churn",
    "compare_complaints",
    "compare_csat",
    "compare_handling_time",
    "compare_nps",
]

COLUMNS = [
    "metric", "by", "segment", "comparison", "n_before", "n_after", "before", "after",
    "delta", "delta_rel", "ci_low", "ci_high", "p_value", "p_adjusted", "significant",
    "mde", "method", "status", "units",
]
DEFAULT_METRICS = ("nps", "csat", "churn", "complaints", "handling_time")
CENSORING_SHARE = 0.02
_STATS = {"median": 0.5, "p90": 0.9}


@dataclass(frozen=True)
class Options:
    """Settings shared by every comparison of one call."""

    alpha: float = 0.05
    min_n: int = 30
    nps_method: str = "adjusted_wald"
    csat_threshold: int = 4
    handling_stat: str = "median"
    handling_measure: str = "resolution"
    n_resamples: int = 2000
    seed: int = 0


def _comparisons(rollout: Rollout) -> list[tuple[str, str, str]]:
    out = [("after_vs_before", "before", "after")]
    if rollout.announced is not None:
        out.append(("transition_vs_before", "before", "transition"))
    return out


def _n(stat: Any) -> float:
    if isinstance(stat, EventExposure):
        return float(stat.events)
    return float(stat.n)


def _point(metric: str, stat: Any, opts: Options) -> float:
    if isinstance(stat, NpsCounts):
        return stat.score / 100.0
    if isinstance(stat, Proportion):
        return stat.share
    if isinstance(stat, EventExposure):
        return stat.rate
    if isinstance(stat, ValueCounts):
        if metric == "csat_mean" or opts.handling_stat == "mean":
            return stat.moments().mean
        return stat.quantile(_STATS[opts.handling_stat])
    raise TypeError(type(stat))


def _test(metric: str, b: Any, a: Any, cell: pd.Series, period: tuple[str, str],
          opts: Options) -> tuple[DiffResult, float]:
    """Run the metric's test; return the result and the MDE in raw units."""
    alpha = opts.alpha
    if metric == "nps":
        r = nps_diff(b, a, method=opts.nps_method, alpha=alpha)  # type: ignore[arg-type]
        return r, mde_nps(b, a.n, alpha=alpha)
    if metric == "csat":
        r = proportion_diff(b, a, alpha=alpha)
        return r, mde_proportion(min(max(b.share, 1e-9), 1 - 1e-9), b.n, a.n, alpha=alpha)
    if metric == "csat_mean" or (metric == "handling_time" and opts.handling_stat == "mean"):
        r = welch_diff(b.moments(), a.moments(), alpha=alpha)
        return r, mde_from_se(float(r.extra.get("se", math.nan)), alpha=alpha)
    if metric == "handling_time":
        r = quantile_diff(b, a, q=_STATS[opts.handling_stat], n_resamples=opts.n_resamples,
                          seed=opts.seed, alpha=alpha)
        return r, mde_from_se(float(r.extra["se"]), alpha=alpha)
    if metric == "complaints":
        daily = pd.concat([cell[f"daily_{period[0]}"], cell[f"daily_{period[1]}"]])
        daily = daily.assign(period=np.where(daily["period"] == period[0], "before", "after"))
        r = rate_test_auto(daily, alpha=alpha)
        phi = max(1.0, float(r.extra.get("phi", 1.0)))
        return r, _mde_rate(b, a, phi, alpha)
    # Churn events are independent customers: the exact conditional Poisson test.
    r = poisson_rate_test(b, a, alpha=alpha)
    return r, _mde_rate(b, a, 1.0, alpha)


def _mde_rate(b: EventExposure, a: EventExposure, phi: float, alpha: float) -> float:
    if b.events == 0 or b.exposure <= 0 or a.exposure <= 0:
        return math.nan
    return mde_rate(b.rate, b.exposure, a.exposure, phi, alpha=alpha)


def _status(metric: str, b: Any, a: Any, cell: pd.Series, period: tuple[str, str],
            opts: Options, partial: set[str], result: DiffResult | None) -> list[str]:
    flags: list[str] = []
    if metric == "handling_time":
        for p, stat in zip(period, (b, a), strict=True):
            open_ = cell.get(f"open_{p}", 0)
            total = stat.n + open_
            if total and open_ / total > CENSORING_SHARE:
                flags.append("censoring")
                break
    if result is not None and float(result.extra.get("phi", 1.0)) > 1.0 and \
            metric == "complaints":
        flags.append("overdispersed")
    if partial & set(period):
        flags.append("partial_window")
    return flags


def _pool(cells: list[pd.Series]) -> pd.Series:
    """Cell-wise sum of segment cells: sufficient statistics add, daily series stack."""
    out: dict[str, Any] = {}
    for name in cells[0].index:
        values = [c[name] for c in cells if name in c.index and c[name] is not None]
        if name.startswith("daily_"):
            out[name] = pd.concat([v for v in values if isinstance(v, pd.DataFrame)],
                                  ignore_index=True)
        else:
            total = values[0]
            for v in values[1:]:
                total = total + v
            out[name] = total
    return pd.Series(out, dtype=object)


def _staggered_table(metric: str, data: Dataset, rollout: Rollout, by: list[str],
                     opts: Options) -> tuple[pd.DataFrame, set[str], set[tuple[Any, ...]]]:
    """Staggered rollout: each segment of the dated column on its own windows.

    The overall row pools every dated segment's own before and after periods (event
    time: each segment contributes its own before and after windows), so it is defined
    and answers "what changed, on average, for the segments that switched". Segments
    without a date are reported on the earliest date's windows with status
    ``not_treated``. Returns the table, the partly covered periods and those keys.
    """
    col = str(rollout.segment_column)
    if by not in ([], [col]):
        raise DataValidationError(
            f"the rollout is staggered by {col!r} (Rollout.per_segment); compare it overall "
            f"or by={col!r}, not by={by}"
        )
    spec = METRICS[metric]
    base = replace(rollout, segment_column=None, segment_dates={})
    kw: dict[str, Any] = {"csat_threshold": opts.csat_threshold,
                          "measure": opts.handling_measure}
    cells: dict[tuple[Any, ...], pd.Series] = {}
    partial: set[str] = set()
    for seg in sorted(rollout.segment_dates):
        own = rollout.for_segment(seg)
        table = period_stats(metric, data, own, [col], **kw)
        if (seg,) not in table.index:
            known = sorted(str(k[0]) for k in table.index if k[0] != "overall")
            raise DataValidationError(
                f"{metric}: segment {seg!r} of {col!r} has a change date but no {spec.table} "
                f"data; segments with data: {known}"
            )
        cells[(seg,)] = table.loc[[(seg,)]].iloc[0]
        partial |= set(_partial_periods(data, own, spec.table))
    rows = {("overall",): _pool(list(cells.values()))}
    untreated: set[tuple[Any, ...]] = set()
    if by:
        rows |= cells
        table = period_stats(metric, data, base, [col], **kw)
        for key in table.index:
            if key[0] != "overall" and str(key[0]) not in rollout.segment_dates:
                rows[tuple(key)] = table.loc[key]
                untreated.add(tuple(key))
    index = pd.MultiIndex.from_tuples(list(rows), names=by or ["segment"])
    return pd.DataFrame(list(rows.values()), index=index), partial, untreated


def _rows(metric: str, data: Dataset, rollout: Rollout, by: list[str], opts: Options
          ) -> list[dict[str, Any]]:
    spec = METRICS[metric]
    untreated: set[tuple[Any, ...]] = set()
    if rollout.segment_dates:
        table, partial, untreated = _staggered_table(metric, data, rollout, by, opts)
    else:
        partial = set(_partial_periods(data, rollout, spec.table))
        table = period_stats(metric, data, rollout, by, csat_threshold=opts.csat_threshold,
                             measure=opts.handling_measure)
    rows = []
    for key, cell in table.iterrows():
        key_t = key if isinstance(key, tuple) else (key,)
        overall = key_t[0] == "overall"
        segment = "overall" if overall else " × ".join(map(str, key_t))
        for name, p_b, p_a in _comparisons(rollout):
            b, a = cell.get(p_b), cell.get(p_a)
            if overall:
                for p, s in ((p_b, b), (p_a, a)):
                    if s is None or (_n(s) == 0 and not isinstance(s, EventExposure)) or (
                            isinstance(s, EventExposure) and s.exposure == 0):
                        start, end = rollout.windows()[p]
                        raise PeriodError(
                            f"{metric}: the {p} period [{start.date()}, {end.date()}) has no "
                            f"{spec.table} data; check the rollout dates against the data"
                        )
            row = _row(metric, by, key_t, segment, name, b, a, cell, (p_b, p_a), opts, partial)
            if key_t in untreated:
                row["status"] = "not_treated" if row["status"] == "ok" else \
                    f"{row['status']},not_treated"
            rows.append(row)
    return rows


def _row(metric: str, by: list[str], key: tuple[Any, ...], segment: str, comparison: str,
         b: Any, a: Any, cell: pd.Series, period: tuple[str, str], opts: Options,
         partial: set[str]) -> dict[str, Any]:
    spec = METRICS[metric]
    before, after = _point(metric, b, opts), _point(metric, a, opts)
    n_b, n_a = _n(b), _n(a)
    row: dict[str, Any] = {
        "metric": metric, "by": " × ".join(by) if by else "", "segment": segment,
        "comparison": comparison, "n_before": n_b, "n_after": n_a,
        "before": before * spec.scale, "after": after * spec.scale,
        "delta": (after - before) * spec.scale,
        "ci_low": math.nan, "ci_high": math.nan, "p_value": math.nan, "mde": math.nan,
        "method": "", "units": spec.units,
    }
    for col, value in zip(by, key, strict=False):
        row[col] = None if segment == "overall" else value
    row["delta_rel"] = (after - before) / before if spec.relative and before else math.nan
    if min(n_b, n_a) < opts.min_n:
        row["status"] = "insufficient_data"
        return row
    result, mde = _test(metric, b, a, cell, period, opts)
    row.update(
        delta=result.estimate * spec.scale,
        ci_low=result.ci_low * spec.scale, ci_high=result.ci_high * spec.scale,
        p_value=result.p_value, mde=mde * spec.scale, method=result.method,
    )
    flags = _status(metric, b, a, cell, period, opts, partial, result)
    row["status"] = ",".join(flags) if flags else "ok"
    return row


def _partial_periods(data: Dataset, rollout: Rollout, table: str) -> dict[str, str]:
    if table == "customers":
        ranges = [data.time_range(t) for t in ("surveys", "tickets")
                  if getattr(data, t) is not None]
        if not ranges:
            return {}
        lo, hi = min(r[0] for r in ranges), max(r[1] for r in ranges)
    else:
        lo, hi = data.time_range(table)
    return rollout.coverage(lo, hi)


def _finish(rows: list[dict[str, Any]], by: list[str], alpha: float, correction: str
            ) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    frame["p_adjusted"] = adjust_pvalues(frame["p_value"].to_numpy(float), correction)
    tested = frame["p_adjusted"].notna()
    frame["significant"] = pd.array(
        np.where(tested, frame["p_adjusted"] < alpha, False), dtype="boolean")
    frame.loc[~tested, "significant"] = pd.NA
    return frame[[*COLUMNS, *[c for c in by if c in frame.columns]]]


def compare(
    data: Dataset,
    rollout: Rollout,
    metrics: Sequence[str] | None = None,
    by: str | Sequence[str] | None = None,
    *,
    alpha: float = 0.05,
    correction: str = "fdr_bh",
    min_n: int = 30,
    nps_method: str = "adjusted_wald",
    csat_threshold: int = 4,
    handling_stat: str = "median",
    n_resamples: int = 2000,
    seed: int = 0,
) -> pd.DataFrame:
    """Compare every metric before vs after the change, overall and per segment.

    Parameters
    ----------
    data
        A :class:`~rollout_metrics.Dataset` from :func:`~rollout_metrics.load_dataset`.
    rollout
        The :class:`~rollout_metrics.Rollout`: change date, announcement, windows.  With an
        announcement, ``transition_vs_before`` rows are added.
    metrics
        Any of ``"nps"``, ``"csat"``, ``"churn"``, ``"complaints"``, ``"handling_time"``
        (default: all five), and ``"csat_mean"``.
    by
        A segment column, or a list of them (crossed), from the customers table, the
        metric's own table (``channel`` for tickets), or ``"tenure_band"``.
    alpha, correction
        Significance level; ``"fdr_bh"`` (Benjamini-Hochberg, default), ``"holm"``,
        ``"by"`` or ``"none"`` across all tested rows of this call.
    min_n
        Rows with fewer observations (responses, events or tickets) in either period get
        status ``insufficient_data``, no test, and stay out of the correction family.
    nps_method, csat_threshold, handling_stat, n_resamples, seed
        ``"adjusted_wald"`` or ``"wald"``; the CSAT top-box threshold (4 = top-2 of 5);
        ``"median"``, ``"p90"`` or ``"mean"`` handling time; bootstrap resamples and seed.

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`COLUMNS` plus one per ``by`` column.  Units: NPS points,
        CSAT % top-2-box, churn % per 30 customer-days, complaints per 1,000 active
        customers per 30 days, handling time hours.

    Examples
    --------
    >>> import rollout_metrics as rm
    >>> r = rm.Rollout("2025-09-01", announced="2025-08-11")
    >>> t = rm.compare(rm.load_sample(), r, metrics=["nps"], by="tier")
    >>> t.loc[(t.segment == "VIP") & (t.comparison == "after_vs_before"),
    ...       ["before", "after", "significant"]].round(1).to_dict("records")
    [{'before': 48.9, 'after': 28.2, 'significant': True}]
    """
    names = list(metrics) if metrics is not None else list(DEFAULT_METRICS)
    unknown = [m for m in names if m not in METRICS]
    if unknown:
        raise DataValidationError(f"unknown metric(s) {unknown}; metrics: {list(METRICS)}")
    if handling_stat not in (*_STATS, "mean"):
        raise DataValidationError(
            f"handling_stat must be 'median', 'p90' or 'mean', got {handling_stat!r}")
    if rollout.timezone != data.timezone:
        raise PeriodError(
            f"the rollout is in {rollout.timezone} but the data was loaded in {data.timezone}; "
            f"use load_dataset(..., timezone={rollout.timezone!r})"
        )
    by_list = normalise_by(by)
    opts = Options(alpha=alpha, min_n=min_n, nps_method=nps_method,
                   csat_threshold=csat_threshold, handling_stat=handling_stat,
                   n_resamples=n_resamples, seed=seed)
    rows = [row for m in names for row in _rows(m, data, rollout, by_list, opts)]
    return _finish(rows, by_list, alpha, correction)


def _single(metric: str) -> Any:
    def run(data: Dataset, rollout: Rollout, by: str | Sequence[str] | None = None,
            **kwargs: Any) -> pd.DataFrame:
        return compare(data, rollout, metrics=[metric], by=by, **kwargs)

    run.__name__ = f"compare_{metric}"
    run.__doc__ = (
        f"Compare {metric} before vs after; :func:`compare` with ``metrics=[{metric!r}]``.\n\n"
        "Examples\n--------\n>>> import rollout_metrics as rm\n"
        f">>> t = rm.compare_{metric}(rm.load_sample(), rm.Rollout('2025-09-01'))\n"
        ">>> list(t.segment)\n['overall']\n"
    )
    return run


compare_nps = _single("nps")
compare_csat = _single("csat")
compare_churn = _single("churn")
compare_complaints = _single("complaints")
compare_handling_time = _single("handling_time")
