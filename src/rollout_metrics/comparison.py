"""Compare each metric before vs after the change, per segment: the public API.

Wiring only: the metric's spec (:mod:`rollout_metrics.metrics`) says which table and test;
its period table (:mod:`rollout_metrics.stats.periods`, sums of the one daily series) gives
the cells; the test runs on them (:mod:`rollout_metrics.infer`); the p-values of the whole
call are adjusted as one family (:mod:`rollout_metrics.infer.multiple`); every row carries
its minimum detectable effect (:mod:`rollout_metrics.infer.power`).

Every function returns a tidy DataFrame, one row per (metric, segment, comparison), the
overall row first, with the columns of :data:`COLUMNS`. ``ci_low``/``ci_high`` bound
``delta`` (after - before) in the metric's units.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from rollout_metrics.errors import DataValidationError, MissingColumnError, PeriodError
from rollout_metrics.infer.multiple import finish_family
from rollout_metrics.infer.overlap import cohort_share_diff, ratio_of_sums_diff
from rollout_metrics.infer.power import mde_from_se, mde_nps, mde_proportion, mde_rate
from rollout_metrics.infer.ranks import quantile_diff
from rollout_metrics.infer.rates import poisson_rate_test, rate_test_auto
from rollout_metrics.infer.results import DiffResult
from rollout_metrics.infer.two_sample import nps_diff, proportion_diff, welch_diff
from rollout_metrics.load.dataset import Dataset
from rollout_metrics.metrics import (
    DEFAULT_METRICS,
    QUANTILES,
    MetricOptions,
    MetricSpec,
    check_winsorize,
    get_metric,
)
from rollout_metrics.reduce.reduction import Reductions
from rollout_metrics.reduce.segments import By, available_segments, groupings
from rollout_metrics.rollout import Rollout
from rollout_metrics.stats.daily import supported_metrics
from rollout_metrics.stats.periods import PeriodTable, period_table
from rollout_metrics.stats.sufficient import ClusteredCounts, EventExposure, RatioOfSums

__all__ = [
    "COLUMNS",
    "DEFAULT_METRICS",
    "compare",
    "compare_churn",
    "compare_complaints",
    "compare_contact_rate",
    "compare_csat",
    "compare_first_response_time",
    "compare_handling_time",
    "compare_nps",
    "comparisons",
    "default_metrics",
]

COLUMNS = [
    "metric", "by", "segment", "comparison", "n_before", "n_after", "before", "after",
    "delta", "delta_rel", "ci_low", "ci_high", "p_value", "p_adjusted", "significant",
    "mde", "method", "status", "units",
]
CENSORING_SHARE = 0.02
#: Status of a metric's overall rows when its table lacks a requested segment column.
NOT_SEGMENTED = "not_segmented"


def comparisons(rollout: Rollout) -> list[tuple[str, str, str]]:
    """``(label, base period, compared period)`` of every comparison the rollout has."""
    out = [("after_vs_before", "before", "after")]
    if rollout.announced is not None:
        out.append(("transition_vs_before", "before", "transition"))
    return out


def _n(stat: Any) -> float:
    if isinstance(stat, EventExposure):
        return float(stat.events)
    return float(stat.n)


#: ``daily(period)``: the daily rows (``date, events, exposure``) of ``"before"`` or
#: ``"after"``; ``daily("both")``: the two stacked with a ``period`` column (kept by
#: ``compare``, which asks for it twice per row).
Daily = Callable[[str], pd.DataFrame]
Test = Callable[[Any, Any, Daily, MetricOptions], tuple[DiffResult, float]]
Enough = Callable[[Any, Any, Daily, MetricOptions], bool]

#: Responses per period below which the NPS, proportion and Welch tests are not run, even
#: with a lower ``min_n``: from n = 10 the A/A false-positive rates of NPS and Welch are in
#: [0.04, 0.06] (``benchmarks/calibration.py --small-n``); below, all three are conservative
#: and a small period is often all in one category (degenerate).
MIN_N_TEST = 10
#: Observations a quantile test needs beyond its quantile in each period, n·min(q, 1 − q):
#: 6 tickets for the median, 30 for p90.  With fewer, the bootstrap test of p90 rejects too
#: often (A/A: 0.15 at n = 5, 0.076 at n = 10, 0.054 at n = 15; 0.035 at n = 30).
MIN_BEYOND_QUANTILE = 3
#: Residual degrees of freedom the daily quasi-Poisson model needs (days minus its intercept,
#: period and six weekday terms: 28 days of data).  With fewer, phi is too noisy and
#: overdispersed series were rejected in 7.5-15% of A/A splits (df 6-13, negative binomial
#: k = 0.5); at df 20 in 5.5-5.9%, at df 34 in 4.2-5.4%.
MIN_RESIDUAL_DF = 20
#: Customers a cohort share needs in each period's cohort (the Wald interval of the clustered
#: difference; benchmarks/calibration.py, cases contact_share_*).
MIN_COHORT = 100
#: Customers (clusters) a ratio of sums needs in each period: the delta-method Wald test
#: of the average check on heavy-tailed amounts is calibrated from 100 customers per period
#: (benchmarks/calibration.py, cases average_check_*, revenue_per_customer_*).
MIN_CUSTOMERS = 100
#: Customers with closed tickets a handling-time quantile needs in each period when its
#: variance is clustered by customer (benchmarks/calibration.py --small-n --only "handling m",
#: 4,000 splits): about 15 customers per period 0.063 false positives, about 25 0.048, splits
#: with at least 30 in both periods 0.060 (1,440 tested) and 0.054; 5-10 customers 0.11.
MIN_QUANTILE_CUSTOMERS = 30


def _mde_rate(b: EventExposure, a: EventExposure, phi: float, alpha: float) -> float:
    if b.events == 0 or b.exposure <= 0 or a.exposure <= 0:
        return math.nan
    return mde_rate(b.rate, b.exposure, a.exposure, phi, alpha=alpha)


def _test_nps(b: Any, a: Any, _: Daily, o: MetricOptions) -> tuple[DiffResult, float]:
    r = nps_diff(b, a, method=o.nps_method, alpha=o.alpha)  # type: ignore[arg-type]
    return r, mde_nps(b, a.n, alpha=o.alpha)


def _test_proportion(b: Any, a: Any, _: Daily, o: MetricOptions) -> tuple[DiffResult, float]:
    r = proportion_diff(b, a, alpha=o.alpha)
    return r, mde_proportion(min(max(b.share, 1e-9), 1 - 1e-9), b.n, a.n, alpha=o.alpha)


def _test_welch(b: Any, a: Any, _: Daily, o: MetricOptions) -> tuple[DiffResult, float]:
    r = welch_diff(b.moments(), a.moments(), alpha=o.alpha)
    return r, mde_from_se(r.se, alpha=o.alpha)


def _test_cohort_share(b: Any, a: Any, _: Daily, o: MetricOptions
                       ) -> tuple[DiffResult, float]:
    r = cohort_share_diff(b, a, alpha=o.alpha)
    return r, mde_from_se(r.se, alpha=o.alpha)


def _test_ratio(b: Any, a: Any, _: Daily, o: MetricOptions) -> tuple[DiffResult, float]:
    r = ratio_of_sums_diff(b, a, alpha=o.alpha)
    return r, mde_from_se(r.se, alpha=o.alpha)


def _clusters(b: Any, a: Any, q: float) -> tuple[RatioOfSums, RatioOfSums] | None:
    """The two cells' clustering by customer at quantile ``q`` (nan: their minutes, for the
    mean; stats/periods.py); ``None`` for cells without it (pooled cells of a staggered
    overall)."""
    if not (isinstance(b, ClusteredCounts) and isinstance(a, ClusteredCounts)
            and b.clusters is not None and a.clusters is not None):
        return None
    same = (math.isnan(b.q) and math.isnan(a.q)) if math.isnan(q) else b.q == a.q == q
    return (b.clusters, a.clusters) if same else None


def _test_quantile(b: Any, a: Any, daily: Daily, o: MetricOptions) -> tuple[DiffResult, float]:
    if o.handling_stat == "mean":
        # The mean duration is a ratio of sums over customers (minutes / closed tickets):
        # the delta-method variance clustered by customer; Welch without clusters.
        clustered = _clusters(b, a, math.nan)
        if clustered is None:
            return _test_welch(b, a, daily, o)
        return _test_ratio(*clustered, daily, o)
    q = QUANTILES[o.handling_stat]
    # Tickets of one customer are not independent: the variance clustered by customer.
    clusters = _clusters(b, a, q)
    r = quantile_diff(b, a, q=q, n_resamples=o.n_resamples, seed=o.seed, alpha=o.alpha,
                      clusters=clusters)
    # r.se is the half-width of the interval over z: the MDE is the shift that moves this
    # interval off 0 with power 0.8 (the coherence check is in benchmarks/calibration.py).
    return r, mde_from_se(r.se, alpha=o.alpha)


def _days(daily: Daily) -> pd.DataFrame:
    return daily("both")


def _stacked(daily: Daily) -> pd.DataFrame:
    """The before and after days stacked, with their ``period``."""
    b, a = daily("before"), daily("after")
    out = pd.concat([b, a], ignore_index=True)
    out["period"] = np.repeat(np.array(["before", "after"], dtype=object), [len(b), len(a)])
    return out


def _test_rate_daily(b: Any, a: Any, daily: Daily, o: MetricOptions
                     ) -> tuple[DiffResult, float]:
    r = rate_test_auto(_days(daily), alpha=o.alpha)
    return r, _mde_rate(b, a, max(1.0, r.dispersion), o.alpha)


def _test_poisson(b: Any, a: Any, _: Daily, o: MetricOptions) -> tuple[DiffResult, float]:
    # Churn events are independent customers: the exact conditional Poisson test.
    return poisson_rate_test(b, a, alpha=o.alpha), _mde_rate(b, a, 1.0, o.alpha)


def _enough_n(own: int) -> Enough:
    def enough(b: Any, a: Any, _: Daily, o: MetricOptions) -> bool:
        return bool(min(b.n, a.n) >= max(o.min_n, own))
    return enough


def _enough_quantile(b: Any, a: Any, daily: Daily, o: MetricOptions) -> bool:
    if o.handling_stat == "mean":
        clustered = _clusters(b, a, math.nan)
        if clustered is not None and min(c.n for c in clustered) < MIN_CUSTOMERS:
            return False
        return _enough_n(MIN_N_TEST)(b, a, daily, o)
    q = QUANTILES[o.handling_stat]
    own = math.ceil(MIN_BEYOND_QUANTILE / min(q, 1.0 - q) - 1e-9)
    clusters = _clusters(b, a, q)
    if clusters is not None and min(c.n for c in clusters) < MIN_QUANTILE_CUSTOMERS:
        return False
    return bool(min(b.n, a.n) >= max(o.min_n, own))


def _enough_poisson(b: Any, a: Any, _: Daily, o: MetricOptions) -> bool:
    return bool(b.exposure > 0 and a.exposure > 0 and b.events + a.events > 0)


def _enough_rate_daily(b: Any, a: Any, daily: Daily, o: MetricOptions) -> bool:
    if b.events == 0 or a.events == 0:
        return False
    days = _days(daily)
    weekdays = int(days["date"].dt.day_of_week.nunique())
    return len(days) - (1 + weekdays) >= MIN_RESIDUAL_DF  # intercept, period, weekdays - 1


@dataclass(frozen=True)
class RowTest:
    """How :func:`compare` tests a row: the test and the least data it is calibrated for.

    ``run(before, after, daily, options)`` returns the :class:`DiffResult` and the minimum
    detectable effect; ``enough(before, after, daily, options)`` says whether the row has the
    data ``run`` needs (else status ``insufficient_data``); ``minimum`` says it in words.
    """

    run: Test
    enough: Enough
    minimum: str


#: The two-sample test behind each ``MetricSpec.test`` name, with its minimum.
TESTS: dict[str, RowTest] = {
    "nps": RowTest(_test_nps, _enough_n(MIN_N_TEST),
                   f"max(min_n, {MIN_N_TEST}) responses per period"),
    "proportion": RowTest(_test_proportion, _enough_n(MIN_N_TEST),
                          f"max(min_n, {MIN_N_TEST}) responses per period"),
    "welch": RowTest(_test_welch, _enough_n(MIN_N_TEST),
                     f"max(min_n, {MIN_N_TEST}) observations per period"),
    "quantile": RowTest(_test_quantile, _enough_quantile,
                        f"max(min_n, {MIN_BEYOND_QUANTILE}/min(q, 1 - q)) tickets per period "
                        f"(median 6, p90 30) and {MIN_QUANTILE_CUSTOMERS} customers with closed tickets in each "
                        f"period (clustered by customer); the mean: max(min_n, {MIN_N_TEST}) tickets and "
                        f"{MIN_CUSTOMERS} customers with closed tickets per period"),
    "rate_daily": RowTest(_test_rate_daily, _enough_rate_daily,
                          f"an event in each period and {MIN_RESIDUAL_DF} residual degrees of "
                          "freedom of the daily model (28 days); min_n does not apply"),
    "cohort_share": RowTest(_test_cohort_share, _enough_n(MIN_COHORT),
                            f"max(min_n, {MIN_COHORT}) customers in each period's cohort"),
    "ratio_clustered": RowTest(_test_ratio, _enough_n(MIN_CUSTOMERS),
                               f"max(min_n, {MIN_CUSTOMERS}) customers with orders (or active "
                               "days) in each period"),
    "poisson_exact": RowTest(_test_poisson, _enough_poisson,
                             "one event in the two periods; min_n does not apply"),
}


def _partial_periods(data: Dataset, rollout: Rollout, table: str) -> set[str]:
    if table == "customers":
        ranges = [data.time_range(t) for t in ("surveys", "tickets")
                  if getattr(data, t) is not None]
        if not ranges:
            return set()
        lo, hi = min(r[0] for r in ranges), max(r[1] for r in ranges)
    else:
        lo, hi = data.time_range(table)
    return set(rollout.coverage(lo, hi))


class _Cells:
    """One segment's cells across periods, from a table or pooled over tables."""

    def __init__(self, parts: list[tuple[PeriodTable, int, Rollout]]) -> None:
        self.parts = parts

    def stat(self, period: str) -> Any:
        total = None
        for table, key, _ in self.parts:
            cell = table.cell(key, period)
            total = cell if total is None else total + cell
        return total

    def open(self, period: str) -> int:
        return sum(t.open.get((k, period), 0) for t, k, _ in self.parts)

    def daily(self, period: str) -> pd.DataFrame:
        frames = [t.daily_rows(k, period, r) for t, k, r in self.parts]
        return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


def _row(spec: MetricSpec, by: list[str], key: tuple[Any, ...], segment: str,
         comparison: tuple[str, str, str], cells: _Cells, opts: MetricOptions,
         partial: set[str]) -> dict[str, Any]:
    name, p_b, p_a = comparison
    b, a = cells.stat(p_b), cells.stat(p_a)
    before, after = spec.point(b, opts), spec.point(a, opts)
    n_b, n_a = _n(b), _n(a)
    row: dict[str, Any] = {
        "metric": spec.name, "by": " × ".join(by), "segment": segment,
        "comparison": name, "n_before": n_b, "n_after": n_a,
        "before": before * spec.scale, "after": after * spec.scale,
        "delta": (after - before) * spec.scale,
        "ci_low": math.nan, "ci_high": math.nan, "p_value": math.nan, "mde": math.nan,
        "method": "", "units": spec.units,
    }
    for col, value in zip(by, key, strict=False):
        row[col] = None if segment == "overall" else value
    row["delta_rel"] = (after - before) / before if spec.relative and before else math.nan
    frames: dict[str, pd.DataFrame] = {}

    def daily(p: str) -> pd.DataFrame:
        if p not in frames:
            frames[p] = _stacked(daily) if p == "both" else cells.daily(
                p_b if p == "before" else p_a)
        return frames[p]

    test = TESTS[spec.test]
    if not test.enough(b, a, daily, opts):
        row["status"] = "insufficient_data"
        return row
    result, mde = test.run(b, a, daily, opts)
    # delta stays after - before of the points shown; every test's estimate is that same
    # difference (tests/test_consistency.py), and its interval bounds it.
    row.update(
        ci_low=result.ci_low * spec.scale, ci_high=result.ci_high * spec.scale,
        p_value=result.p_value, method=result.method,
        # an MDE of 0 comes from a zero variance: no claim of detecting any effect
        mde=mde * spec.scale if mde > 0 else math.nan,
    )
    flags: list[str] = []
    if result.degenerate:
        flags.append("degenerate")
    if spec.kind == "durations":
        for p, stat in ((p_b, b), (p_a, a)):
            total = stat.n + cells.open(p)
            if total and cells.open(p) / total > CENSORING_SHARE:
                flags.append("censoring")
                break
    if result.dispersion > 1.0:
        flags.append("overdispersed")
    if partial & {p_b, p_a}:
        flags.append("partial_window")
    row["status"] = ",".join(flags) if flags else "ok"
    return row


def _check_overall(spec: MetricSpec, cells: _Cells, rollout: Rollout,
                   comps: list[tuple[str, str, str]]) -> None:
    for _, p_b, p_a in comps:
        for p in (p_b, p_a):
            s = cells.stat(p)
            empty = s.exposure == 0 if isinstance(s, EventExposure) else _n(s) == 0
            if empty:
                start, end = rollout.windows()[p]
                raise PeriodError(
                    f"{spec.name}: the {p} period [{start.date()}, {end.date()}) has no "
                    f"{spec.table} data; check the rollout dates against the data"
                )


def _segments(red: Reductions, rollout: Rollout, spec: MetricSpec, by: list[str],
              opts: MetricOptions) -> tuple[list[tuple[tuple[Any, ...], _Cells, str]], set[str]]:
    """``(key, cells, extra status)`` of the overall row and every segment, and the
    partly covered periods."""
    data = red.data
    if not rollout.segment_dates:
        table = period_table(red, rollout, spec, by, opts)
        return [(k, _Cells([(table, i, rollout)]), "") for i, k in enumerate(table.keys)], \
            _partial_periods(data, rollout, spec.table)
    # Staggered: each dated segment on its own windows; the overall row pools every dated
    # segment's own before and after periods (event time). Segments without a date are
    # reported on the base windows with status ``not_treated``.
    col = str(rollout.segment_column)
    if by not in ([], [col]):
        raise DataValidationError(
            f"the rollout is staggered by {col!r} (Rollout.per_segment); compare it overall "
            f"or by={col!r}, not by={by}"
        )
    base = replace(rollout, segment_column=None, segment_dates={})
    own: list[tuple[tuple[Any, ...], _Cells, str]] = []
    partial: set[str] = set()
    for seg in sorted(rollout.segment_dates):
        r = rollout.for_segment(seg)
        table = period_table(red, r, spec, [col], opts)
        if (seg,) not in table.keys:
            known = sorted(str(k[0]) for k in table.keys[1:])
            raise DataValidationError(
                f"{spec.name}: segment {seg!r} of {col!r} has a change date but no "
                f"{spec.table} data; segments with data: {known}"
            )
        own.append(((seg,), _Cells([(table, table.keys.index((seg,)), r)]), ""))
        partial |= _partial_periods(data, r, spec.table)
    pooled = _Cells([p for _, c, _ in own for p in c.parts])
    rows = [(("overall",), pooled, "")]
    if by:
        rows += own
        table = period_table(red, base, spec, [col], opts)
        rows += [(k, _Cells([(table, i, base)]), "not_treated")
                 for i, k in enumerate(table.keys)
                 if i and str(k[0]) not in rollout.segment_dates]
    return rows, partial


def _metric_rows(spec: MetricSpec, red: Reductions, rollout: Rollout,
                 groups: list[list[str]], opts: MetricOptions) -> list[dict[str, Any]]:
    data = red.data
    usable = [g for g in groups if set(g) <= set(available_segments(data, spec.segment_table))]
    missing = [g for g in groups if g not in usable]
    comps = comparisons(rollout)
    rows: list[dict[str, Any]] = []
    for i, by in enumerate(usable or [[]]):
        segments, partial = _segments(red, rollout, spec, by, opts)
        for j, (key, cells, extra) in enumerate(segments):
            if j == 0:
                if i:
                    continue  # the overall row once per metric
                _check_overall(spec, cells, rollout, comps)
            segment = "overall" if j == 0 else " × ".join(map(str, key))
            for comp in comps:
                row = _row(spec, by, key, segment, comp, cells, opts, partial)
                if j == 0 and missing and not any(usable):
                    # Only its overall row: none of the requested groupings applies.
                    row["status"] = _add_flag(row["status"], NOT_SEGMENTED)
                if extra:
                    row["status"] = _add_flag(row["status"], extra)
                rows.append(row)
    return rows


def _add_flag(status: str, flag: str) -> str:
    return flag if status == "ok" else f"{status},{flag}"


def finish(rows: list[dict[str, Any]], by_columns: list[str], alpha: float, correction: str
           ) -> pd.DataFrame:
    """The results table: adjusted p-values across every tested row, ``significant``."""
    frame = pd.DataFrame(rows)
    for col in by_columns:
        if col not in frame.columns:
            frame[col] = None
    frame["p_adjusted"] = math.nan
    frame["significant"] = pd.NA
    return finish_family(frame[[*COLUMNS, *by_columns]], alpha=alpha, correction=correction)


def default_metrics(data: Dataset) -> list[str]:
    """The metrics of :data:`DEFAULT_METRICS` that ``data`` supports; each one left out (its
    table or column is missing) is named in a ``UserWarning`` with what is missing.  A metric
    asked for by name that the data cannot support is an error instead.

    Examples
    --------
    >>> import rollout_metrics as rm
    >>> default_metrics(rm.load_sample())[-4:]  # the revenue metrics need the orders table
    ['average_check', 'average_check_uncapped', 'revenue_per_customer', 'orders_per_customer']
    """
    kept, skipped = supported_metrics(data, DEFAULT_METRICS, quiet_optional=True)
    for message in skipped:
        warnings.warn(f"left out of the default metrics: {message}", UserWarning, stacklevel=3)
    return kept or list(DEFAULT_METRICS)  # nothing supported: the metrics' own errors say why


def _check_segments(data: Dataset, names: list[str], groups: list[list[str]]) -> None:
    """A segment column must exist for at least one selected metric."""
    for group in groups:
        for col in group:
            tables = {get_metric(m).segment_table for m in names}
            if not any(col in available_segments(data, t) for t in tables):
                known = sorted({c for t in tables for c in available_segments(data, t)})
                why = (" (no customers table was given: customer segments need it)"
                       if data.customers is None else "")
                raise MissingColumnError(
                    f"segment column {col!r} does not exist in the {'/'.join(sorted(tables))} "
                    f"table(s) of the selected metrics {names}{why}. Available segments: "
                    f"{known}"
                )


def compare(
    data: Dataset,
    rollout: Rollout,
    metrics: str | Sequence[str] | None = None,
    by: By = None,
    *,
    alpha: float = 0.05,
    correction: str = "fdr_bh",
    min_n: int = 30,
    nps_method: str = "adjusted_wald",
    csat_threshold: int = 4,
    handling_stat: str = "median",
    n_resamples: int = 2000,
    seed: int = 0,
    reductions: Reductions | None = None,
    repeat_days: int = 7,
    winsorize: float | None = 0.999,
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
        Names from the registry (:mod:`rollout_metrics.metrics`): ``"nps"``, ``"csat"``,
        ``"churn"``, ``"complaints"``, ``"handling_time"``, ``"first_response_time"``,
        ``"contact_rate"``, ``"average_check"``, ``"average_check_uncapped"``,
        ``"revenue_per_customer"``, ``"orders_per_customer"`` (the defaults,
        :data:`DEFAULT_METRICS`), ``"csat_mean"``, ``"contact_share"``, ``"repeat_contacts"``
        and any registered metric.  By default a metric whose table or column the data lacks
        is left out with a warning naming it (:func:`default_metrics`; the revenue metrics
        without an orders table silently); a metric asked for by name
        that the data cannot support raises :class:`~rollout_metrics.MissingColumnError`.
    by
        A segment column; a list of columns, crossed (``["tier", "region"]`` gives
        ``tier × region``); or a list of lists for separate groupings
        (``[["tier"], ["region"]]``). Columns come from the customers table, the metric's
        own table (``channel`` for tickets), or ``"tenure_band"``. A grouping whose column
        a metric's table lacks is skipped for that metric; a metric to which no requested
        grouping applies keeps only its overall rows, with status ``not_segmented``. The
        call fails only when no selected metric has the column.
    alpha, correction
        Significance level; ``"fdr_bh"`` (Benjamini-Hochberg, default), ``"holm"``,
        ``"by"`` or ``"none"`` across all tested rows of this call.
    min_n
        The user's floor for the tests whose validity rests on the number of observations:
        rows with fewer responses (NPS, CSAT) or tickets (handling and first-response time) in
        either period get
        status ``insufficient_data``, no test, and stay out of the correction family.  Each
        test also has its own calibrated minimum (:data:`TESTS`, ``docs/methods.md``): 10
        responses for NPS, CSAT and means; 3 tickets beyond the quantile for handling time
        (6 for the median, 30 for p90).  ``min_n`` does not apply to the event rates: the exact
        conditional Poisson test (churn) is valid for any counts and needs one event in the two
        periods; the daily test of complaints needs an event in each period and 20 residual
        degrees of freedom of its daily model (28 days).
    nps_method, csat_threshold, handling_stat, n_resamples, seed
        ``"adjusted_wald"`` or ``"wald"``; the CSAT top-box threshold (4 = top-2 of 5);
        ``"median"``, ``"p90"`` or ``"mean"`` handling time; bootstrap resamples and seed.
    reductions
        A :class:`~rollout_metrics.Reductions` of ``data`` to reuse across calls (the
        report, plots and designs given the same object reduce each table once).
    repeat_days
        The repeat-contact window N of ``"repeat_contacts"``: a ticket counts as repeated
        when the same customer opens another within N days (whole days, default 7).
    winsorize
        The capped revenue metrics (``average_check``, ``revenue_per_customer``) cap each
        order amount at this quantile of the before period's amounts (default 0.999, the
        99.9th percentile; ``None`` or 1.0: no cap); ``average_check_uncapped`` shows the
        amounts as recorded.

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`COLUMNS` plus one per ``by`` column.  Units: NPS points,
        CSAT % top-2-box, churn % per 30 customer-days, complaints and contacts per 1,000
        active customers per 30 days, handling and first-response time hours, average check
        per order and revenue per active customer per 30 days in the data's currency, orders
        per 100 active customers per 30 days.  ``before`` and ``after`` are the observed
        values and ``delta = after - before`` on every row.  ``p_value``, ``significant`` and
        the interval come from one inference per row, so a row with ``p_value < alpha`` has an
        interval excluding 0 and vice versa (handling-time quantiles: the bootstrap interval
        and its inversion; complaints: the model's ratio interval mapped to the difference).
        ``status`` is ``ok`` or a comma-separated list of flags: ``insufficient_data`` (below
        the test's minimum; untested), ``degenerate`` (no sampling variability: constant
        values, every answer in one category, 0% or 100% in both periods; no p-value, so never
        significant), ``censoring`` (over 2% of tickets still open, or never answered for
        first-response time, in a period; they are left out of the quantile and counted),
        ``overdispersed`` (the complaint test widened for overdispersion), ``partial_window``,
        ``not_segmented``, ``not_treated``.

    Examples
    --------
    >>> import rollout_metrics as rm
    >>> r = rm.Rollout("2025-09-01", announced="2025-08-11")
    >>> t = rm.compare(rm.load_sample(), r, metrics=["nps"], by="tier")
    >>> t.loc[(t.segment == "VIP") & (t.comparison == "after_vs_before"),
    ...       ["before", "after", "significant"]].round(1).to_dict("records")
    [{'before': 48.9, 'after': 28.2, 'significant': True}]
    """
    names = [metrics] if isinstance(metrics, str) else list(metrics or default_metrics(data))
    specs = [get_metric(m) for m in names]
    if handling_stat not in (*QUANTILES, "mean"):
        raise DataValidationError(
            f"handling_stat must be 'median', 'p90' or 'mean', got {handling_stat!r}")
    if rollout.timezone != data.timezone:
        raise PeriodError(
            f"the rollout is in {rollout.timezone} but the data was loaded in {data.timezone}; "
            f"use load_dataset(..., timezone={rollout.timezone!r})"
        )
    groups = groupings(by)
    _check_segments(data, names, groups)
    if reductions is not None and reductions.data is not data:
        raise DataValidationError("reductions= belongs to another Dataset; pass the Dataset "
                                  "it was made from, or leave it out")
    if isinstance(repeat_days, bool) or not isinstance(repeat_days, int) or repeat_days < 1:
        raise DataValidationError(f"repeat_days must be a whole number of days >= 1, got "
                                  f"{repeat_days!r}")
    winsorize = check_winsorize(winsorize)
    red = reductions if reductions is not None else Reductions(data)
    opts = MetricOptions(alpha=alpha, min_n=min_n, nps_method=nps_method,
                         csat_threshold=csat_threshold, handling_stat=handling_stat,
                         n_resamples=n_resamples, seed=seed, repeat_days=repeat_days,
                         winsorize=winsorize)
    rows = [row for s in specs for row in _metric_rows(s, red, rollout, groups, opts)]
    columns = list(dict.fromkeys(c for g in groups for c in g))
    return finish(rows, columns, alpha, correction)


def _single(metric: str) -> Any:
    def run(data: Dataset, rollout: Rollout, by: By = None, **kwargs: Any) -> pd.DataFrame:
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
compare_first_response_time = _single("first_response_time")
compare_contact_rate = _single("contact_rate")
