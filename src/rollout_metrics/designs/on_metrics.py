"""Quasi-experimental designs on the package's metrics: :func:`its_metric`, :func:`did_metric`.

The designs in :mod:`.its` and :mod:`.did` take a plain series or panel; this module
builds that series for a metric from its one daily series
(:mod:`rollout_metrics.stats.daily`, the same rows ``compare`` and the plots sum), calls the
design and returns rows in the columns of :func:`rollout_metrics.compare` plus ``term``:
the same comparison labels (``after_vs_before``, ``transition_vs_before``), ``by``,
``segment`` and ``units`` filled, and every row of one call (all its metrics and segments)
one family for ``p_adjusted`` and ``significant``
(:func:`~rollout_metrics.infer.multiple.finish_family`, as in ``compare``).

Daily (or weekly) values and their weights, per segment, follow the metric's registry spec
(``MetricSpec.daily``): the metric's own statistic of the day's (or week's) pooled rows,
weighted by the responses or tickets behind it (NPS points, % top-2-box, the median
handling time in hours - a week's median is the median of its tickets); churn and
complaints are event counts with exposure = active customer-days of the segment's
customers (a quasi-Poisson count model in :func:`its_metric`), reported in ``compare``'s
rate units. Open tickets have no handling time; their count is in ``info["open_tickets"]``.

Weeks (``freq="W"``) are 7-day blocks aligned on the change date, so the change date starts
a week; a week is labelled by its first day.

Window. ITS needs a long baseline to estimate the pre-existing trend, so by default the
series starts ``2 * rollout.pre_days`` days before the announcement (or the change date
without one), clipped to the first day with data, and ends with the ``after`` window.
``pre_days=`` overrides the length. The transition window (announcement to change date) is
modelled by its own level and slope, so ``transition_effect`` measures anticipatory
reactions and the baseline stays clean. ``washout_days`` is not applied: the segmented
regression models the whole after window (its slope absorbs a gradual settling-in).
"""

from __future__ import annotations

import datetime as dt
import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from rollout_metrics.designs._common import DESIGN_COLUMNS, check_options, html_table
from rollout_metrics.designs.did import DidResult, did
from rollout_metrics.designs.its import ItsResult, Model, its, term_units
from rollout_metrics.errors import (
    DataValidationError,
    InsufficientDataError,
    MissingColumnError,
    PeriodError,
    RolloutMetricsError,
)
from rollout_metrics.infer.multiple import finish_family
from rollout_metrics.load.dataset import Dataset
from rollout_metrics.metrics import REGISTRY, MetricOptions, get_metric
from rollout_metrics.reduce.reduction import Reductions
from rollout_metrics.reduce.segments import normalise_by
from rollout_metrics.rollout import Rollout
from rollout_metrics.stats.daily import daily_series

__all__ = ["DESIGN_COLUMNS", "MetricItsResult", "did_metric", "its_metric",
           "metric_series"]

#: Units of the count models inside :func:`its` (the table is rescaled to the metric's).
_MODEL_RATE_UNITS = "per customer-day"
_DAY = dt.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class MetricItsResult:
    """Outcome of :func:`its_metric`: one interrupted time series per metric and segment.

    Attributes
    ----------
    table : pandas.DataFrame
        Rows of every metric and segment (per metric the overall rows first) in
        :data:`DESIGN_COLUMNS` plus one column per ``by``. Values are in the units of
        :func:`~rollout_metrics.compare`; ``n_before``/``n_after`` count series points
        (days or weeks). For the count models ``level_change``/``slope_change`` are on the
        log-rate scale (see ``units``). ``p_adjusted`` and ``significant``: one family over
        all tested rows of the call (``correction``).
    results : Mapping[tuple[str, str], ItsResult]
        The :func:`~rollout_metrics.designs.its.its` result of each ``(metric, segment)``
        (model units: rates per customer-day for counts; p-values adjusted within it).
    series : pandas.DataFrame
        The modelled series of every metric and segment (``metric`` and ``segment``
        columns), observed, fitted and counterfactual in the table's units.
    info : Mapping[str, Any]
        ``metrics``, ``freq``, and per metric ``start``, ``end`` (the series' half-open
        range) and ``definition``; ``open_tickets`` (handling time).
    alpha : float
        The CIs are ``1 - alpha`` intervals.
    """

    table: pd.DataFrame
    results: Mapping[tuple[str, str], ItsResult]
    series: pd.DataFrame
    info: Mapping[str, Any]
    alpha: float = 0.05

    def to_frame(self) -> pd.DataFrame:
        """The effects table (a copy)."""
        return self.table.copy()

    def _repr_html_(self) -> str:
        metrics = html.escape(", ".join(map(str, self.info.get("metrics", []))))
        return html_table(f"Interrupted time series: {metrics}", self.table)


def _check_metric(metric: str) -> None:
    get_metric(metric)  # a clear error listing the registered metrics


def _metric_names(metrics: str | Sequence[str]) -> list[str]:
    """``metrics`` as a list without repeats, every name checked."""
    names = [metrics] if isinstance(metrics, str) else list(dict.fromkeys(metrics))
    if not names:
        raise DataValidationError(f"no metric given; metrics: {sorted(REGISTRY)}")
    for metric in names:
        _check_metric(metric)
    return names


def _data_range(data: Dataset, metric: str) -> tuple[dt.datetime, dt.datetime]:
    table = get_metric(metric).table
    tables = ("surveys", "tickets") if table == "customers" else (table,)
    ranges = [data.time_range(t) for t in tables if getattr(data, t, None) is not None]
    return min(r[0] for r in ranges), max(r[1] for r in ranges)


def _window(data: Dataset, rollout: Rollout, metric: str, pre_days: int | None
            ) -> tuple[dt.datetime, dt.datetime]:
    lo_data, hi_data = _data_range(data, metric)
    days = 2 * rollout.pre_days if pre_days is None else pre_days
    if days < 1:
        raise PeriodError(f"pre_days must be >= 1, got {days}")
    first_day = dt.datetime.combine(lo_data.date(), dt.time(0))
    start = max(rollout.windows()["before"][1] - days * _DAY, first_day)
    end = min(rollout.windows()["after"][1], dt.datetime.combine(hi_data.date(), dt.time(0)) + _DAY)
    if not start < dt.datetime.combine(rollout.change_date, dt.time(0)) < end:
        raise PeriodError(
            f"{metric}: change date {rollout.change_date} is outside the data, which runs "
            f"from {lo_data} to {hi_data}"
        )
    return start, end


def _series(red: Reductions, rollout: Rollout, metric: str, by: list[str], start: dt.datetime,
            end: dt.datetime, freq: str, options: MetricOptions) -> tuple[pd.DataFrame, int]:
    """Per (day or week, segment), from the metric's one daily series: ``date, segment, *by,
    value, weight``, and the open tickets (durations).

    ``value`` is the metric in its display units for averages and medians, with ``weight``
    the responses or tickets behind it; for rates ``value`` is the event count and
    ``weight`` the active customer-days. A week's value is the statistic of its days pooled
    (a weekly median is the median of the week's tickets, not a mean of daily medians).
    """
    spec = get_metric(metric)
    series = daily_series(red, rollout, spec, by, options, start=start, end=end)
    day = series.frame["day"]
    if freq == "W":
        offset = (dt.datetime.combine(rollout.change_date, dt.time(0)) - start).days % 7
        week = (day - offset) // 7 * 7 + offset
        # A partial first week (before the first whole week) is dropped, not averaged in.
        bins = week.where(week >= 0)
    else:
        bins = day
    cells = series.binned(bins, options)
    if spec.kind == "rate":
        value = [float(s.events) for s in cells["stat"]]
        weight = [float(s.exposure) for s in cells["stat"]]
    else:
        weight = [float(s.n) for s in cells["stat"]]
        value = [spec.value(s, options) if w > 0 else math.nan
                 for s, w in zip(cells["stat"], weight, strict=True)]
    out = pd.DataFrame({
        "date": pd.Timestamp(start) + pd.to_timedelta(cells["bin"].astype(np.int64), unit="D"),
        "segment": ["overall" if k == 0 else " × ".join(map(str, series.keys[k]))
                    for k in cells["key"]],
        **{col: [None if k == 0 else series.keys[k][i] for k in cells["key"]]
           for i, col in enumerate(by)},
        "value": value, "weight": weight,
    })
    out = out[out["weight"] > 0].reset_index(drop=True)
    return out, series.open_tickets(series.frame)


def metric_series(
    data: Dataset, rollout: Rollout, metric: str, by: str | Sequence[str] | None = None, *,
    freq: str = "D", start: dt.datetime | None = None, end: dt.datetime | None = None,
    csat_threshold: int = 4, handling_stat: str = "median",
    reductions: Reductions | None = None,
) -> pd.DataFrame:
    """The daily (or weekly) series of ``metric`` per segment, from its one daily series.

    Columns: ``date, segment, *by, value, weight``. For averages and medians ``value`` is
    the metric in its display units (NPS points, % top-2-box, hours) and ``weight`` the
    responses or tickets behind it; for churn and complaints ``value`` is the event count
    and ``weight`` the active customer-days. Points with a zero weight are left out.
    ``segment`` is ``"overall"`` for the sum over segments.

    Examples
    --------
    >>> import rollout_metrics as rm
    >>> s = metric_series(rm.load_sample(), rm.Rollout("2025-09-01"), "csat", freq="W")
    >>> list(s.columns), len(s)
    (['date', 'segment', 'value', 'weight'], 16)
    """
    _check_metric(metric)
    by_list = normalise_by(by)
    if freq not in ("D", "W"):
        raise DataValidationError(f"freq must be 'D' or 'W', got {freq!r}")
    lo, hi = rollout.span
    red = reductions if reductions is not None else Reductions(data)
    opts = MetricOptions(csat_threshold=csat_threshold, handling_stat=handling_stat)
    return _series(red, rollout, metric, by_list, start or lo, end or hi, freq, opts)[0]


def _to_its_frame(s: pd.DataFrame, metric: str) -> pd.DataFrame:
    if get_metric(metric).kind == "rate":
        return pd.DataFrame({"date": s["date"], "value": s["value"].round().astype(np.int64),
                             "exposure": s["weight"]})
    return pd.DataFrame({"date": s["date"], "value": s["value"], "weights": s["weight"]})


def _rows_of(res: ItsResult, metric: str, by: list[str], key: tuple[Any, ...], segment: str,
             freq: str) -> pd.DataFrame:
    """The rows of one segment's fit in the metric's units (rates rescaled for counts)."""
    table = res.table.copy()
    spec = get_metric(metric)
    glm = spec.kind == "rate"
    if glm:
        scale = spec.scale
        rate_rows = table["term"].isin(["average_effect", "transition_effect"])
        for col in ("before", "after"):
            table[col] = table[col] * scale
        for col in ("delta", "ci_low", "ci_high", "mde"):
            table.loc[rate_rows, col] = table.loc[rate_rows, col] * scale
        table["units"] = [term_units(spec.units, t, glm, freq) for t in table["term"]]
    for col, value in zip(by, key, strict=False):
        table[col] = None if segment == "overall" else value
    return table


def _failed_row(metric: str, by: list[str], key: tuple[Any, ...], segment: str,
                status: str) -> pd.DataFrame:
    row: dict[str, Any] = dict.fromkeys(DESIGN_COLUMNS, math.nan)
    row.update(metric=metric, by=" × ".join(by), segment=segment,
               comparison="after_vs_before", term="average_effect", method="", status=status,
               units=get_metric(metric).units)
    for col, value in zip(by, key, strict=False):
        row[col] = value
    return pd.DataFrame([row])


def its_metric(
    data: Dataset,
    rollout: Rollout,
    metrics: str | Sequence[str],
    by: str | Sequence[str] | None = None,
    *,
    freq: str = "D",
    model: Model | None = None,
    pre_days: int | None = None,
    alpha: float = 0.05,
    correction: str = "fdr_bh",
    csat_threshold: int = 4,
    handling_stat: str = "median",
    reductions: Reductions | None = None,
) -> MetricItsResult:
    """Interrupted time series of one or more metrics, overall and per segment.

    Parameters
    ----------
    data, rollout
        The dataset and the rollout (its ``announced`` date opens the transition window,
        modelled separately).
    metrics
        One of ``"nps"``, ``"csat"``, ``"churn"``, ``"complaints"``, ``"handling_time"``,
        or a list of them: the rows of every metric in one table.
    by
        Segment column(s); ``None`` for the overall series only.
    freq
        ``"D"`` (daily, with day-of-week terms) or ``"W"`` (weekly).
    model
        Passed to :func:`~rollout_metrics.designs.its.its`: default ``"gls_ar"`` for NPS, CSAT and
        handling time, ``"quasipoisson"`` (offset log active customer-days) for counts.
    pre_days
        Days of baseline before the announcement; default ``2 * rollout.pre_days``
        (clipped to the data).
    alpha, correction
        Level of the tests and CIs; ``"fdr_bh"`` (Benjamini-Hochberg, default), ``"holm"``,
        ``"by"`` or ``"none"`` across all tested rows of this call, as in
        :func:`~rollout_metrics.compare`.
    csat_threshold
        Top-box threshold of CSAT.

    Returns
    -------
    MetricItsResult

    Raises
    ------
    DataValidationError, MissingColumnError
        Unknown metric, segment column, ``alpha`` or ``correction``.
    PeriodError
        The change date outside the data; a staggered rollout (one date per segment).
    InsufficientDataError
        Fewer than 8 points on either side of the change (overall series; a segment
        that is too short gets status ``insufficient_data`` instead).

    Examples
    --------
    >>> import rollout_metrics as rm
    >>> r = rm.Rollout("2025-09-01", announced="2025-08-11")
    >>> res = its_metric(rm.load_sample(), r, "csat")
    >>> row = res.table.set_index("term").loc["average_effect"]
    >>> bool(row["ci_low"] < 0 < row["ci_high"])  # truth: no change effect on CSAT
    True
    >>> row[["comparison", "units"]].tolist()
    ['after_vs_before', '% top-2-box']
    """
    names = _metric_names(metrics)
    check_options(alpha, correction)
    if rollout.segment_dates:
        raise PeriodError(
            f"its_metric models one change date; this rollout is staggered by "
            f"{rollout.segment_column!r} ({len(rollout.segment_dates)} dates). Run it per "
            "segment with rollout.for_segment(value), or use did_metric()"
        )
    by_list = normalise_by(by)
    red = reductions if reductions is not None else Reductions(data)
    opts = MetricOptions(csat_threshold=csat_threshold, handling_stat=handling_stat)
    tables: list[pd.DataFrame] = []
    results: dict[tuple[str, str], ItsResult] = {}
    curves: list[pd.DataFrame] = []
    info: dict[str, Any] = {"metrics": names, "freq": freq, "start": {}, "end": {},
                            "definition": {}, "open_tickets": 0}
    for metric in names:
        start, end = _window(data, rollout, metric, pre_days)
        series, open_ = _series(red, rollout, metric, by_list, start, end, freq, opts)
        info["start"][metric], info["end"][metric] = start, end
        info["definition"][metric] = get_metric(metric).daily
        info["open_tickets"] += open_
        _its_segments(series, metric, rollout, by_list, freq, model, alpha, correction,
                      (tables, results, curves))
    table = finish_family(pd.concat(tables, ignore_index=True), alpha=alpha,
                          correction=correction)
    table = table[[*DESIGN_COLUMNS, *by_list]].reset_index(drop=True)
    return MetricItsResult(table, results, pd.concat(curves, ignore_index=True), info, alpha)


def _its_segments(
    series: pd.DataFrame, metric: str, rollout: Rollout, by: list[str], freq: str,
    model: Model | None, alpha: float, correction: str,
    out: tuple[list[pd.DataFrame], dict[tuple[str, str], ItsResult], list[pd.DataFrame]],
) -> None:  # fmt: skip
    """Fit every segment's series of one metric; append rows, results and curves to ``out``."""
    tables, results, curves = out
    change = pd.Timestamp(rollout.change_date)
    announced = None if rollout.announced is None else pd.Timestamp(rollout.announced)
    spec = get_metric(metric)
    glm = spec.kind == "rate"
    scale = spec.scale if glm else 1.0
    units = _MODEL_RATE_UNITS if glm else spec.units
    for segment, part in series.groupby("segment", sort=False):
        seg = str(segment)
        key = tuple(part[by].iloc[0]) if by and seg != "overall" else ()
        frame = _to_its_frame(part, metric)
        try:
            res = its(frame, change_date=change, announced=announced, freq=freq, model=model,
                      exposure="exposure" if glm else None, weights=None if glm else "weights",
                      alpha=alpha, correction=correction, metric=metric, by=" × ".join(by),
                      segment=seg, units=units)
        except (InsufficientDataError, PeriodError) as exc:
            if seg == "overall":
                raise type(exc)(f"{metric} ({seg}, freq={freq!r}): {exc}") from exc
            status = "insufficient_data" if isinstance(exc, InsufficientDataError) else \
                "period_error"
            tables.append(_failed_row(metric, by, key, seg, status))
            continue
        results[(metric, seg)] = res
        tables.append(_rows_of(res, metric, by, key, seg, freq))
        curve = res.series.assign(metric=metric, segment=seg)
        for col in ("observed", "fitted", "counterfactual", "ci_low", "ci_high"):
            curve[col] = curve[col] * scale
        curves.append(curve)


def did_metric(
    data: Dataset,
    rollout: Rollout,
    metrics: str | Sequence[str],
    by: str,
    treated: str | Sequence[str] | None = None,
    *,
    freq: str = "D",
    alpha: float = 0.05,
    correction: str = "fdr_bh",
    csat_threshold: int = 4,
    handling_stat: str = "median",
    reductions: Reductions | None = None,
    n_resamples: int = 999,
    seed: int = 0,
) -> DidResult:
    """Difference-in-differences of one or more metrics between treated and control segments.

    The panel is the per-(day or week, segment) series of :func:`metric_series` over
    the rollout's ``before`` and ``after`` windows (the transition window is left out:
    it is neither baseline nor new terms); each point is weighted by the responses,
    tickets or active customer-days behind it. Churn and complaints enter as rates in the
    compare() units (a linear DiD on rates weighted by exposure). With a staggered rollout
    built by :meth:`Rollout.per_segment` on ``by``, each segment keeps its own date and
    :func:`~rollout_metrics.designs.did.did` runs the stacked design.

    Parameters
    ----------
    data, rollout
        As in :func:`its_metric`.
    metrics
        A metric name or a list of them: the rows of every metric in one table.
    by
        The column whose values are the units (e.g. ``"region"``).
    treated
        Treated segment(s); the others are controls. Optional for a staggered rollout.
    freq, alpha, correction, csat_threshold
        ``"D"`` or ``"W"``; level of the tests and CIs; p-value adjustment over all rows of
        the call (``"fdr_bh"`` default, ``"holm"``, ``"by"``, ``"none"``); CSAT top-box
        threshold.
    n_resamples, seed
        Bootstrap samples and seed of :func:`~rollout_metrics.designs.did.did`'s tests (which
        test runs depends on the number of treated and control segments and of dates:
        ``model_info[metric]["inference"]``, and the ``method`` column).

    Returns
    -------
    DidResult
        ``table``: the rows of every metric in :data:`DESIGN_COLUMNS` plus the ``by``
        column; ``by`` names the column and ``segment`` (and the ``by`` column) the treated
        segments joined with " + " (a cohort's segments on a staggered ``did_2x2`` row).
        ``means``: per metric (``metric`` column) the plotted group means.
        ``model_info``: the :func:`~rollout_metrics.designs.did.did` information per metric.

    Raises
    ------
    DataValidationError
        A treated segment that does not exist (the message lists the available ones), an
        unknown metric, ``alpha`` or ``correction``.
    PeriodError
        A change date outside the data.

    Examples
    --------
    >>> import rollout_metrics as rm
    >>> res = did_metric(rm.load_sample(), rm.Rollout("2025-09-01"), "nps", "tier",
    ...                  treated=["VIP"], freq="W")
    >>> res.table[["by", "segment", "comparison", "term"]].values.tolist()[:2]
    [['tier', 'VIP', 'after_vs_before', 'did_2x2'], ['tier', 'VIP', 'after_vs_before', 'did_twfe']]
    """
    names = _metric_names(metrics)
    check_options(alpha, correction)
    if not isinstance(by, str):
        raise DataValidationError(
            f"did_metric: by must be one column name (the units), got {by!r}")
    red = reductions if reductions is not None else Reductions(data)
    opts = MetricOptions(csat_threshold=csat_threshold, handling_stat=handling_stat)
    parts = {m: _did_one(red, rollout, m, by, treated, freq, alpha, correction, opts,
                         (n_resamples, seed)) for m in names}  # fmt: skip
    table = finish_family(pd.concat([p.table for p in parts.values()], ignore_index=True),
                          alpha=alpha, correction=correction)
    table[by] = table["segment"]
    means = pd.concat([p.means.assign(metric=m) for m, p in parts.items()], ignore_index=True)
    means = means[["metric", *[c for c in means.columns if c != "metric"]]]
    info = {m: p.model_info for m, p in parts.items()}
    return DidResult(table[[*DESIGN_COLUMNS, by]], means, info, alpha)


def _did_one(red: Reductions, rollout: Rollout, metric: str, by: str,
             treated: str | Sequence[str] | None, freq: str, alpha: float, correction: str,
             opts: MetricOptions, resampling: tuple[int, int]) -> DidResult:
    """:func:`did_metric` of one metric."""
    data, spec = red.data, get_metric(metric)
    staggered = rollout.segment_column == by and bool(rollout.segment_dates)
    lo_data, hi_data = _data_range(data, metric)
    for day in (rollout.segment_dates.values() if staggered else [rollout.change_date]):
        if not lo_data < dt.datetime.combine(day, dt.time(0)) <= hi_data:
            raise PeriodError(
                f"{metric}: change date {day} is outside the data, which runs from {lo_data} "
                f"to {hi_data}"
            )
    first = min(rollout.segment_dates.items(), key=lambda kv: kv[1])[0] if staggered else ""
    base = rollout.for_segment(first) if staggered else rollout
    lo = base.windows()["before"][0]
    hi = max([rollout.for_segment(s).span[1] for s in rollout.segment_dates] if staggered
             else [rollout.span[1]])
    panel, _ = _series(red, base, metric, [by], lo, hi, freq, opts)
    panel = panel[panel["segment"] != "overall"]
    available = sorted(panel[by].astype(str).unique())
    if isinstance(treated, str):
        treated = [treated]
    named = list(rollout.segment_dates) if staggered and treated is None else list(treated or [])
    unknown = [t for t in named if t not in available]
    if unknown:
        raise DataValidationError(
            f"{metric}: unknown {by!r} segment(s) {unknown}; available segments: "
            f"{available}"
        )
    if not staggered and rollout.announced is not None:
        ann, change = pd.Timestamp(rollout.announced), pd.Timestamp(rollout.change_date)
        panel = panel[(panel["date"] < ann) | (panel["date"] >= change)]
    value = panel["value"] / panel["weight"] * spec.scale if spec.kind == "rate" else \
        panel["value"]
    frame = pd.DataFrame({"date": panel["date"], "unit": panel[by].astype(str),
                          "value": value, "w": panel["weight"]})
    change_date: Any = (
        {s: pd.Timestamp(d) for s, d in rollout.segment_dates.items() if s in named}
        if staggered else pd.Timestamp(rollout.change_date)
    )
    try:
        res = did(frame, treated=None if staggered else named, change_date=change_date,
                  weights="w", alpha=alpha, correction=correction, metric=metric,
                  units=get_metric(metric).units, n_resamples=resampling[0],
                  seed=resampling[1])
    except RolloutMetricsError as exc:
        if isinstance(exc, MissingColumnError):
            raise
        raise type(exc)(f"{metric} by {by}: {exc}") from exc
    res.table["by"] = by
    return res
