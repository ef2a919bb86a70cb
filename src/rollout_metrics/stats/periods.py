"""Sufficient statistics per (segment, period): the cells ``compare`` tests.

The cells are sums of the metric's one daily series (:mod:`rollout_metrics.stats.daily`),
so a period's numbers are by construction the totals of the days plotted over time.

Examples
--------
>>> import rollout_metrics as rm
>>> from rollout_metrics.metrics import MetricOptions, get_metric
>>> t = period_table(rm.load_sample(), rm.Rollout("2025-09-01"), get_metric("nps"),
...                  ["tier"], MetricOptions())
>>> t.keys[0], t.cell(0, "after").n > 1000
(('overall',), True)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from rollout_metrics.errors import MissingColumnError
from rollout_metrics.load.dataset import Dataset
from rollout_metrics.metrics import DURATION_ENDS, QUANTILES, MetricOptions, MetricSpec
from rollout_metrics.reduce.cohorts import contact_patterns, repeat_patterns
from rollout_metrics.reduce.counts import handling_counts
from rollout_metrics.reduce.moments import moment_names
from rollout_metrics.reduce.orders import order_cap, order_moments
from rollout_metrics.reduce.quantiles import duration_moments, quantile_moments
from rollout_metrics.reduce.reduction import Reductions
from rollout_metrics.rollout import Rollout
from rollout_metrics.stats.daily import (
    DailySeries,
    check_metric_columns,
    daily_series,
    overall_key,
)
from rollout_metrics.stats.sufficient import ClusteredCounts, RatioOfSums

__all__ = ["PeriodTable", "period_table"]


@dataclass(frozen=True)
class PeriodTable:
    """Sufficient statistics per (segment, period): what ``compare`` tests.

    Attributes
    ----------
    spec, by, keys
        As in :class:`DailySeries`.
    cells
        ``(key position, period) -> sufficient statistic``.
    open
        ``(key position, period) -> open tickets`` (durations only).
    daily
        The daily series the cells were summed from (``None`` for durations, whose cells
        come from the engine's per-period value counts; the consistency tests check both
        routes agree).
    """

    spec: MetricSpec
    by: tuple[str, ...]
    keys: list[tuple[Any, ...]]
    cells: Mapping[tuple[int, str], Any]
    open: Mapping[tuple[int, str], int] = field(default_factory=dict)
    daily: DailySeries | None = None
    periods: tuple[str, ...] = ()
    # Row positions and columns of ``daily.frame`` per key, found on first use: ``compare``
    # asks for two periods of every segment (296 masks of the whole frame at 36 cells).
    _rows: dict[Any, Any] = field(default_factory=dict, init=False, repr=False,
                                  compare=False)

    def cell(self, key: int, period: str) -> Any:
        """The statistic of segment ``key`` (position) in ``period``."""
        return self.cells[(key, period)]

    def daily_rows(self, key: int, period: str, rollout: Rollout) -> pd.DataFrame:
        """The daily rows of segment ``key`` in ``period``: ``date, events, exposure``."""
        assert self.daily is not None
        lo, hi = self.daily.days_of(rollout)[period]
        if not self._rows:
            f = self.daily.frame
            self._rows.update(
                at=f.groupby("key", sort=False).indices, day=f["day"].to_numpy(),
                events=f["events"].to_numpy(), exposure=f["exposure"].to_numpy(float))
        at = self._rows["at"].get(key, np.array([], dtype=np.int64))
        day = self._rows["day"][at]
        at = at[(day >= lo) & (day < hi)]
        dates = pd.Timestamp(self.daily.origin) + pd.to_timedelta(self._rows["day"][at],
                                                                   unit="D")
        return pd.DataFrame({"date": dates, "events": self._rows["events"][at],
                             "exposure": self._rows["exposure"][at]})


def period_table(source: Dataset | Reductions, rollout: Rollout, spec: MetricSpec,
                 by: Sequence[str], options: MetricOptions) -> PeriodTable:
    """Sum the metric's daily series per segment and period of ``rollout``.

    Durations are summed per period on the engine (the per-day value counts of 10M tickets
    are 20x larger than the per-period ones); their cells equal the sums of the daily
    series (``tests/test_consistency.py``).

    """
    by_list = list(by)
    periods = tuple(rollout.windows())
    red = Reductions.of(source)
    if spec.kind == "durations":
        return _durations_table(red, rollout, spec, by_list, options, periods)
    if spec.test == "ratio_clustered":
        return _ratio_table(red, rollout, spec, by_list, options, periods)
    if spec.kind == "cohort":
        return _cohort_table(red, rollout, spec, by_list, options, periods)
    series = daily_series(red, rollout, spec, by_list, options)
    ranges = series.days_of(rollout)
    f = series.frame
    period = pd.Series(None, index=f.index, dtype=object)
    for name, (lo, hi) in ranges.items():
        period[(f["day"] >= lo) & (f["day"] < hi)] = name
    sums = f.assign(period=period).dropna(subset=["period"]).groupby(
        ["key", "period"])[series.value_columns].sum()
    found = {(int(k), str(p)): dict(zip(sums.columns, row, strict=True))
             for (k, p), row in zip(sums.index, sums.to_numpy().tolist(), strict=True)}
    zero = dict.fromkeys(series.value_columns, 0)
    cells = {(k, p): spec.statistic(found.get((k, p), zero), options)
             for k in range(len(series.keys)) for p in periods}
    return PeriodTable(spec, tuple(by_list), series.keys, cells, {}, series, periods)


def _durations_table(red: Reductions, rollout: Rollout, spec: MetricSpec, by: list[str],
                     options: MetricOptions, periods: tuple[str, ...]) -> PeriodTable:
    check_metric_columns(red.data, spec, options)
    counts = handling_counts(red, rollout, by, measure=DURATION_ENDS[str(spec.needs)])
    is_open = counts["minutes"].isna().to_numpy()
    minutes = counts["minutes"].to_numpy(dtype=float, na_value=np.nan)
    tickets = counts["tickets"].to_numpy(dtype=np.int64)
    # Row positions per (segment, period), found once: no boolean mask per cell.
    by_period = counts.groupby("period", sort=False).indices
    positions = counts.groupby([*by, "period"], sort=False).indices if by else {}
    keys: list[tuple[Any, ...]] = [overall_key(by)]
    keys += sorted({tuple(k)[:-1] for k in positions})  # type: ignore[arg-type]
    empty = np.array([], dtype=np.int64)
    cells: dict[tuple[int, str], Any] = {}
    open_: dict[tuple[int, str], int] = {}
    for i, key in enumerate(keys):
        for p in periods:
            at = by_period.get(p, empty) if i == 0 else positions.get((*key, p), empty)
            done = at[~is_open[at]]
            cells[(i, p)] = spec.statistic(
                {"minutes": minutes[done], "tickets": tickets[done]}, options)
            open_[(i, p)] = int(tickets[at[is_open[at]]].sum())
    # the mean (q nan) and the quantiles are clustered by customer
    q = QUANTILES.get(options.handling_stat, math.nan)
    cells = _clustered(red, rollout, spec, by, keys, cells, periods, q)
    return PeriodTable(spec, tuple(by), keys, cells, open_, None, periods)


def _clustered(red: Reductions, rollout: Rollout, spec: MetricSpec, by: list[str],
               keys: list[tuple[Any, ...]], cells: dict[tuple[int, str], Any],
               periods: tuple[str, ...], q: float) -> dict[tuple[int, str], Any]:
    """The cells with how their tickets cluster by customer: at each cell's ``q`` quantile,
    or (``q`` nan) each customer's minutes for the mean.  A second pass on the engine; the
    overall row from the same scan, its customers regrouped (a customer whose tickets fall in
    two channels is one cluster overall)."""
    def limits(i: int) -> dict[str, float]:
        return {p: cells[(i, p)].quantile(q) for p in periods if cells[(i, p)].n > 0}

    measure = DURATION_ENDS[str(spec.needs)]
    segmented = bool(by) and len(keys) > 1
    cols = by if segmented else []
    if math.isnan(q):
        segs, overall = duration_moments(red, rollout, cols, measure=measure,
                                         overall=segmented)
    else:
        segs, overall = quantile_moments(
            red, rollout, cols, measure=measure, overall=limits(0) if segmented else None,
            thresholds=({keys[i]: limits(i) for i in range(1, len(keys))} if segmented
                        else {(): limits(0)}))
    found = {tuple(seg[c] for c in by): seg for _, seg in segs.iterrows()} if segmented else {}
    whole = overall if segmented else segs
    if whole is not None and len(whole):
        found[keys[0]] = whole.iloc[0]
    out = dict(cells)
    for i, key in enumerate(keys):
        if key in found:
            moments, customers = _sums(found[key], periods)
            for p in periods:
                out[(i, p)] = ClusteredCounts.of(
                    cells[(i, p)], RatioOfSums(p, periods, moments, customers), q)
    return out


def _sums(row: pd.Series | None, periods: tuple[str, ...]
          ) -> tuple[tuple[tuple[str, float], ...], tuple[tuple[str, int], ...]]:
    """One segment's reduced moment sums and customers per period (zeros without a row), as
    :class:`RatioOfSums` holds them."""
    moments = tuple((n, float(row[n]) if row is not None else 0.0)
                    for n in moment_names(periods))
    customers = tuple((p, int(row[f"k_{p}"]) if row is not None else 0) for p in periods)
    return moments, customers


def _cohort_table(red: Reductions, rollout: Rollout, spec: MetricSpec, by: list[str],
                  options: MetricOptions, periods: tuple[str, ...]) -> PeriodTable:
    if red.data.tickets is None:
        raise MissingColumnError(f"{spec.name}: needs the tickets table (who contacted "
                                 "support); it was not given")
    def reduced(cols: list[str]) -> pd.DataFrame:
        if spec.table == "customers":  # customers in each period's cohort, contacted or not
            return contact_patterns(red, rollout, cols)
        # each customer's eligible tickets and followed ones per period
        return repeat_patterns(red, rollout, cols, options.repeat_days)

    prefix = ("in", "did") if spec.table == "customers" else ("n", "r")
    flags = [f"{x}_{p}" for p in periods for x in prefix]
    counts = reduced(by)
    # The overall row is reduced on its own: a customer whose tickets fall in two channels is
    # one cluster overall, not two.
    keys: list[tuple[Any, ...]] = [overall_key(by)]
    groups: list[pd.DataFrame] = [reduced([]) if by else counts]
    if by:
        for key, rows in counts.groupby(by, sort=True, dropna=False):
            keys.append(tuple(key) if isinstance(key, tuple) else (key,))
            groups.append(rows)
    cells: dict[tuple[int, str], Any] = {}
    for i, rows in enumerate(groups):
        summed = rows.groupby(flags, sort=True)["customers"].sum()
        patterns = tuple((tuple(int(v) for v in (f if isinstance(f, tuple) else (f,))),
                          int(c)) for f, c in summed.items())
        for p in periods:
            cells[(i, p)] = spec.statistic(
                {"period": p, "periods": periods, "patterns": patterns}, options)
    return PeriodTable(spec, tuple(by), keys, cells, {}, None, periods)


def _ratio_table(red: Reductions, rollout: Rollout, spec: MetricSpec, by: list[str],
                  options: MetricOptions, periods: tuple[str, ...]) -> PeriodTable:
    check_metric_columns(red.data, spec, options)
    q = options.winsorize
    cap = order_cap(red, rollout, q) if spec.capped and q is not None and q < 1.0 else None

    def reduced(cols: list[str]) -> pd.DataFrame:
        rows = spec.row_counts
        return order_moments(red, rollout, cols, value=spec.columns[0],
                             per="customer" if spec.exposure else "order", cap=cap,
                             metric=spec.name, table=spec.table,
                             rows=(rows[0], rows[1]) if len(rows) == 2 else None)

    # The overall row is reduced on its own: a customer whose orders fall in two channels is
    # one cluster overall, not two.
    overall = reduced([])
    keys: list[tuple[Any, ...]] = [overall_key(by)]
    rows: list[pd.Series | None] = [overall.iloc[0] if len(overall) else None]
    if by:
        segs = reduced(by)
        for _, seg in segs.iterrows():
            keys.append(tuple(seg[c] for c in by))
            rows.append(seg)
    cells: dict[tuple[int, str], Any] = {}
    for i, row in enumerate(rows):
        moments, customers = _sums(row, periods)
        for p in periods:
            cells[(i, p)] = spec.statistic({"period": p, "periods": periods, "moments": moments,
                                            "customers": customers}, options)
    return PeriodTable(spec, tuple(by), keys, cells, {}, None, periods)
