"""How a duration's tickets cluster by customer at a quantile: a second pass on the engine.

The variance of a quantile is that of the empirical distribution function at it over the
squared density (Deng, Knoblich & Lu 2018), and only the first factor depends on how tickets
cluster by customer.  That function at the quantile ``t_p`` of period ``p`` is a ratio of
sums over customers, ``F_p = Σ y_ip / Σ n_ip``, with ``y_ip`` the customer's closed tickets
of the period at or below ``t_p`` and ``n_ip`` all its closed tickets of the period.  This
pass computes ``y`` and ``n`` per customer with each segment's own thresholds (joined from a
small table of segment, period and threshold), then the per-segment sums of them and of their products
(:func:`rollout_metrics.reduce.moments.customer_moments`): one row per segment leaves the
engine, as for the revenue metrics.  The overall row's thresholds ride along in the same
scan.  With segments of customer columns only, each customer is in one segment and the
overall sums are the segments' (one aggregation); with a ticket column (the channel) the
per-(customer, segment) table is regrouped by customer (persisted meanwhile on Spark).

Examples
--------
>>> import rollout_metrics as rm
>>> data, r = rm.load_sample(), rm.Rollout("2025-09-01")
>>> m, whole = quantile_moments(data, r, ["tier"], measure="resolution",
...                             thresholds={("VIP",): {"before": 600.0, "after": 600.0}},
...                             overall={"before": 300.0, "after": 300.0})
>>> m["tier"].tolist(), int(m["y_before"].iloc[0]) > 0, int(m["y_before"].iloc[1])
(['VIP', 'new', 'regular'], True, 0)
>>> int(whole["n_before"].iloc[0]) == int(m["n_before"].sum())
True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import narwhals as nw
import pandas as pd

from rollout_metrics._engine.frames import small_table
from rollout_metrics._engine.io import read_twice
from rollout_metrics.load.dataset import Dataset
from rollout_metrics.reduce.counts import ticket_minutes
from rollout_metrics.reduce.moments import customer_moments, moment_names
from rollout_metrics.reduce.reduction import ReductionKey, Reductions
from rollout_metrics.reduce.segments import Segmented
from rollout_metrics.rollout import Rollout

__all__ = ["duration_moments", "quantile_moments"]

Thresholds = Mapping[tuple[Any, ...], Mapping[str, float]]


def _segment_keys(seg: Segmented, by: list[str], keys: list[tuple[Any, ...]]
                  ) -> list[tuple[Any, ...]]:
    """Segments ``keys`` (values of ``by``) as values of ``seg.keys`` (the code of their
    customer columns)."""
    codes: dict[tuple[Any, ...], int] = {}
    coded: list[str] = []
    if seg.labels is not None:
        coded = list(seg.labels.columns)
        rows = seg.labels[coded].astype(str).itertuples(index=False, name=None)
        codes = {row: i for i, row in enumerate(rows)}
    out = []
    for key in keys:
        values = dict(zip(by, key, strict=True))
        code = codes.get(tuple(values[c] for c in coded)) if coded else None
        if coded and code is None:
            raise KeyError(f"segment {key!r} has no code")
        out.append(tuple(code if k == "__seg" else values[k] for k in seg.keys))
    return out


def _with_thresholds(frame: nw.LazyFrame[Any], seg: Segmented, by: list[str],
                     thresholds: Thresholds) -> nw.LazyFrame[Any]:
    """``frame`` with ``__limit``, its segment's threshold in its period (null where none is
    given): a left join to a small table of thresholds on the frame's own engine (a CASE of
    one branch per segment and period cost 5x the scan at 36 segments)."""
    found = _segment_keys(seg, by, list(thresholds))
    rows = [(*values, period, float(limit))
            for values, per_period in zip(found, thresholds.values(), strict=True)
            for period, limit in per_period.items()]
    if not rows:
        return frame.with_columns(nw.lit(None, nw.Float64).alias("__limit"))
    if not seg.keys:  # the whole table: a CASE over the periods
        return frame.with_columns(
            _period_case({period: limit for *_, period, limit in rows}).alias("__limit"))
    names = [*seg.keys, "period", "__limit"]
    schema = frame.collect_schema()
    types = {c: (nw.Int64() if c == "__seg" else nw.String()) for c in [*seg.keys, "period"]}
    table = small_table(frame, {c: [r[i] for r in rows] for i, c in enumerate(names)},
                        {**types, "__limit": nw.Float64()})
    table = table.with_columns(*[nw.col(c).cast(schema[c]) for c in [*seg.keys, "period"]])
    return frame.join(table, on=[*seg.keys, "period"], how="left")


def _period_case(limits: Mapping[str, float]) -> nw.Expr:
    """Per row: the threshold of its period (null where none is given)."""
    chain: Any = nw
    for period, limit in limits.items():
        chain = chain.when(nw.col("period") == period).then(nw.lit(float(limit), nw.Float64))
    if chain is nw:
        return nw.lit(None, nw.Float64)
    result: nw.Expr = chain.otherwise(nw.lit(None, nw.Float64))
    return result


def _moments(red: Reductions, rollout: Rollout, by: list[str], measure: str,
             thresholds: Thresholds | None, overall: Mapping[str, float] | None,
             whole: bool) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Per-customer sums of one scan; ``thresholds`` ``None``: ``y`` sums the minutes."""
    seg, timed = ticket_minutes(red, rollout, by, measure=measure)
    periods = list(rollout.windows())
    closed = nw.col("minutes") >= 0
    minutes = nw.col("minutes").cast(nw.Float64)
    limits = []
    if thresholds is not None:
        timed = _with_thresholds(timed, seg, by, thresholds)
        if overall is not None:
            limits.append(_period_case(overall).alias("__all"))
    helpers = []
    for p in periods:
        here = nw.col("period") == p
        if thresholds is None:
            helpers.append(nw.when(here & closed).then(minutes).otherwise(nw.lit(0.0))
                           .alias(f"y_{p}"))
        else:
            helpers.append((here & closed & (minutes <= nw.col("__limit"))).fill_null(False)
                           .cast(nw.Float64).alias(f"y_{p}"))
        helpers.append((here & closed).fill_null(False).cast(nw.Float64).alias(f"n_{p}"))
        if limits:
            helpers.append((here & closed & (minutes <= nw.col("__all"))).fill_null(False)
                           .cast(nw.Float64).alias(f"a_{p}"))
    columns = [c for p in periods
               for c in (f"y_{p}", f"n_{p}", *([f"a_{p}"] if limits else []))]
    # One scan of the tickets for the segments and the overall row: per (customer, segment).
    per_customer = ((timed.with_columns(*limits) if limits else timed).with_columns(*helpers)
                    .group_by("customer_id", *seg.keys).agg(*[nw.col(c).sum() for c in columns]))
    if whole and seg.keys == ["__seg"]:
        # Segments of customer columns only: each customer is in one segment, so the overall
        # row's sums over customers are the sums of the segments' (one aggregation).
        extra = ("a",) if limits else ()
        segments = customer_moments(per_customer, seg.keys, periods, seg, by, extra=extra)
        summed = _summed(segments, periods, "a" if limits else "y")
        return segments[[*by, *summed.columns]], summed
    # Otherwise (a ticket column such as the channel) the overall row regroups that table by
    # customer: a customer whose tickets fall in two channels is one cluster overall.
    per_customer, release = read_twice(per_customer)
    try:
        segments = customer_moments(per_customer, seg.keys, periods, seg, by)
        total = None
        if whole:
            y = "a" if limits else "y"
            total = customer_moments(
                per_customer.group_by("customer_id").agg(
                    *[nw.col(f"{y}_{p}").sum().alias(f"y_{p}") for p in periods],
                    *[nw.col(f"n_{p}").sum() for p in periods]), [], periods, None, [])
    finally:
        if release is not None:
            release()
    return segments, total


def _summed(segments: pd.DataFrame, periods: list[str], numerator: str) -> pd.DataFrame:
    """The overall row: the segments' counts and sums added, ``numerator``'s sums as ``y``'s
    (customers are in one segment each)."""
    names = moment_names(periods)
    source = {n: (n.replace("y_", f"{numerator}_") if "y_" in n else n) for n in names}
    counts = ["customers", *[f"k_{p}" for p in periods]]
    row: dict[str, float] = {c: int(segments[c].sum()) for c in counts}
    row.update({n: float(segments[source[n]].sum()) for n in names})
    return pd.DataFrame([row])


def duration_moments(source: Dataset | Reductions, rollout: Rollout, by: list[str], *,
                     measure: str, overall: bool = False
                     ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Per segment, the sums of :func:`~rollout_metrics.reduce.moments.moment_names` of
    ``y_<p>`` (a customer's minutes over its closed tickets in period ``p``) and ``n_<p>``
    (those tickets): the mean duration as a ratio of sums clustered by customer; with
    ``overall``, the overall row from the same scan.  Computed once per dataset and
    arguments.

    Examples
    --------
    >>> import rollout_metrics as rm
    >>> data, r = rm.load_sample(), rm.Rollout("2025-09-01")
    >>> m, whole = duration_moments(data, r, ["tier"], measure="resolution", overall=True)
    >>> float(m["y_before"].sum()) == float(whole["y_before"].iloc[0])
    True
    """
    red = Reductions.of(source)
    change = rollout.change_date if "tenure_band" in by else None
    key = ReductionKey("duration_moments", tuple(by), tuple(rollout.windows().items()),
                       "period", (change, measure, overall))
    segments, total = red.get(
        key, lambda: _moments(red, rollout, list(by), measure, None, None, overall))
    return segments.copy(), (total.copy() if total is not None else None)


def quantile_moments(source: Dataset | Reductions, rollout: Rollout, by: list[str], *,
                     measure: str, thresholds: Thresholds,
                     overall: Mapping[str, float] | None = None
                     ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Per segment: ``customers``, ``k_<p>`` and the sums of
    :func:`~rollout_metrics.reduce.moments.moment_names` of ``y_<p>`` (a customer's closed
    tickets in period ``p`` at or below its segment's threshold) and ``n_<p>`` (its closed
    tickets in ``p``); with ``overall``, the same for all tickets at those thresholds, from
    the same scan.

    Parameters
    ----------
    measure
        ``"resolution"`` or ``"first_response"``, as in
        :func:`~rollout_metrics.reduce.counts.handling_counts`.
    thresholds
        Per segment (a tuple of the ``by`` values, as ``handling_counts`` spells them; ``()``
        without ``by``): the threshold in minutes of each period.  A segment or period left
        out counts no ticket as below.
    overall
        The overall row's threshold of each period, or ``None`` for no overall row.

    Returns
    -------
    The segments' table and the overall row's (``None`` without ``overall``).  Computed once
    per dataset and arguments.
    """
    red = Reductions.of(source)
    change = rollout.change_date if "tenure_band" in by else None
    frozen = tuple((k, tuple(v.items())) for k, v in thresholds.items())
    whole = tuple(overall.items()) if overall is not None else None
    key = ReductionKey("quantile_moments", tuple(by), tuple(rollout.windows().items()),
                       "period", (change, measure, frozen, whole))
    segments, total = red.get(
        key, lambda: _moments(red, rollout, list(by), measure, thresholds, overall,
                              overall is not None))
    return segments.copy(), (total.copy() if total is not None else None)
