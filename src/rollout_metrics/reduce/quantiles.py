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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import narwhals as nw
import pandas as pd

from rollout_metrics._engine.frames import small_table
from rollout_metrics._engine.io import read_twice
from rollout_metrics.load.dataset import Dataset
from rollout_metrics.reduce.counts import ticket_minutes
from rollout_metrics.reduce.moments import customer_moments, moment_names, split_sets
from rollout_metrics.reduce.reduction import ReductionKey, Reductions
from rollout_metrics.reduce.segments import Segmented
from rollout_metrics.rollout import Rollout

__all__ = ["Ask", "cluster_moments", "duration_moments", "quantile_moments"]

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
                     thresholds: Thresholds, name: str = "__limit") -> nw.LazyFrame[Any]:
    """``frame`` with ``name``, its segment's threshold in its period (null where none is
    given): a left join to a small table of thresholds on the frame's own engine (a CASE of
    one branch per segment and period cost 5x the scan at 36 segments)."""
    found = _segment_keys(seg, by, list(thresholds))
    rows = [(*values, period, float(limit))
            for values, per_period in zip(found, thresholds.values(), strict=True)
            for period, limit in per_period.items()]
    if not rows:
        return frame.with_columns(nw.lit(None, nw.Float64).alias(name))
    if not seg.keys:  # the whole table: a CASE over the periods
        return frame.with_columns(
            _period_case({period: limit for *_, period, limit in rows}).alias(name))
    names = [*seg.keys, "period", name]
    schema = frame.collect_schema()
    types = {c: (nw.Int64() if c == "__seg" else nw.String()) for c in [*seg.keys, "period"]}
    table = small_table(frame, {c: [r[i] for r in rows] for i, c in enumerate(names)},
                        {**types, name: nw.Float64()})
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


@dataclass(frozen=True)
class Ask:
    """One duration metric's clustering pass: its ``measure``, and either the thresholds
    (per segment and the overall row's, :func:`quantile_moments`) or none (the minutes
    themselves, :func:`duration_moments`)."""

    measure: str
    thresholds: Thresholds | None = None
    overall: Mapping[str, float] | None = None


def _moments(red: Reductions, rollout: Rollout, by: list[str], asks: Sequence[Ask],
             whole: bool) -> list[tuple[pd.DataFrame, pd.DataFrame | None]]:
    """Per-customer sums of one scan for every ask (one set of variables each); an ask
    without thresholds sums the minutes as ``y``."""
    measures = [a.measure for a in asks]
    seg, timed = ticket_minutes(red, rollout, by, measure=measures[0], more=measures[1:])
    periods = list(rollout.windows())
    sets = tuple(f"{j}:" for j in range(len(asks))) if len(asks) > 1 else ("",)
    limits, helpers, columns = [], [], []
    overall = any(a.overall is not None for a in asks)
    for j, (ask, s) in enumerate(zip(asks, sets, strict=True)):
        minutes = nw.col("minutes" if j == 0 else f"minutes_{ask.measure}")
        closed = minutes >= 0
        if ask.thresholds is not None:
            timed = _with_thresholds(timed, seg, by, ask.thresholds, f"__limit{j}")
            if overall:
                limits.append(_period_case(ask.overall or {}).alias(f"__all{j}"))
        for p in periods:
            here = nw.col("period") == p
            if ask.thresholds is None:
                y = nw.when(here & closed).then(minutes.cast(nw.Float64)).otherwise(
                    nw.lit(0.0))
            else:
                y = (here & closed & (minutes <= nw.col(f"__limit{j}"))).fill_null(False).cast(
                    nw.Float64)
            helpers += [y.alias(f"{s}y_{p}"),
                        (here & closed).fill_null(False).cast(nw.Float64).alias(f"{s}n_{p}")]
            columns += [f"{s}y_{p}", f"{s}n_{p}"]
            if overall and ask.thresholds is not None:
                helpers.append((here & closed & (minutes <= nw.col(f"__all{j}")))
                               .fill_null(False).cast(nw.Float64).alias(f"{s}a_{p}"))
                columns.append(f"{s}a_{p}")
    # One scan of the tickets for the segments and the overall row: per (customer, segment).
    per_customer = ((timed.with_columns(*limits) if limits else timed).with_columns(*helpers)
                    .group_by("customer_id", *seg.keys).agg(*[nw.col(c).sum() for c in columns]))
    extra = ("a",) if overall else ()
    if whole and seg.keys == ["__seg"]:
        # Segments of customer columns only: each customer is in one segment, so the overall
        # row's sums over customers are the sums of the segments' (one aggregation).
        both = customer_moments(per_customer, seg.keys, periods, seg, by, extra=extra,
                                sets=sets)
        out: list[tuple[pd.DataFrame, pd.DataFrame | None]] = []
        for part in _split(both, by, sets):
            summed = _summed(part, periods, "a" if overall else "y")
            out.append((part[[*by, *summed.columns]], summed))
        return out
    # Otherwise (a ticket column such as the channel) the overall row regroups that table by
    # customer: a customer whose tickets fall in two channels is one cluster overall.
    per_customer, release = read_twice(per_customer)
    try:
        parts = _split(customer_moments(per_customer, seg.keys, periods, seg, by,
                                        sets=sets), by, sets)
        totals: list[pd.DataFrame | None] = [None] * len(asks)
        if whole:
            num = "a" if overall else "y"
            totals = list(_split(customer_moments(
                per_customer.group_by("customer_id").agg(
                    *[nw.col(f"{s}{num}_{p}").sum().alias(f"{s}y_{p}")
                      for s in sets for p in periods],
                    *[nw.col(f"{s}n_{p}").sum() for s in sets for p in periods]),
                [], periods, None, [], sets=sets), [], sets))
    finally:
        if release is not None:
            release()
    return list(zip(parts, totals, strict=True))


def _split(frame: pd.DataFrame, by: list[str], sets: tuple[str, ...]) -> list[pd.DataFrame]:
    return [frame] if sets == ("",) else split_sets(frame, by, sets)


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
    return cluster_moments(source, rollout, by, [Ask(measure)], whole=overall)[0]


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
    return cluster_moments(source, rollout, by, [Ask(measure, thresholds, overall)],
                           whole=overall is not None)[0]


def _key(rollout: Rollout, by: list[str], ask: Ask, whole: bool) -> ReductionKey:
    change = rollout.change_date if "tenure_band" in by else None
    windows = tuple(rollout.windows().items())
    if ask.thresholds is None:
        return ReductionKey("duration_moments", tuple(by), windows, "period",
                            (change, ask.measure, whole))
    frozen = tuple((k, tuple(v.items())) for k, v in ask.thresholds.items())
    overall = tuple(ask.overall.items()) if ask.overall is not None else None
    return ReductionKey("quantile_moments", tuple(by), windows, "period",
                        (change, ask.measure, frozen, overall))


def cluster_moments(source: Dataset | Reductions, rollout: Rollout, by: list[str],
                    asks: Sequence[Ask], *, whole: bool
                    ) -> list[tuple[pd.DataFrame, pd.DataFrame | None]]:
    """The tables of :func:`quantile_moments` (asks with thresholds) or
    :func:`duration_moments` (asks without) of several duration metrics, from one scan of
    the tickets: per (customer, segment) the variables of every ask side by side, then one
    aggregation.  Each result is kept under its own arguments, so a later call for one
    metric finds it; asks already computed are not computed again.

    Examples
    --------
    >>> import rollout_metrics as rm
    >>> data, r = rm.load_sample(), rm.Rollout("2025-09-01")
    >>> red = rm.Reductions(data)
    >>> both = cluster_moments(red, r, ["tier"], [Ask("resolution"), Ask("first_response")],
    ...                        whole=True)
    >>> one, _ = duration_moments(red, r, ["tier"], measure="first_response", overall=True)
    >>> one.equals(both[1][0])
    True
    """
    red = Reductions.of(source)
    kinds = {a.thresholds is None for a in asks}
    if len(kinds) != 1:
        raise ValueError("one pass clusters either quantiles or means, not both")
    keys = [_key(rollout, list(by), a, whole) for a in asks]
    todo = [i for i, k in enumerate(keys) if not red.has(k)]
    if todo:
        found = _moments(red, rollout, list(by), [asks[i] for i in todo], whole)
        for i, result in zip(todo, found, strict=True):
            red.get(keys[i], lambda result=result: result)  # type: ignore[misc]
    out = []
    for k in keys:
        segments, total = red.get(k, _missing)
        out.append((segments.copy(), total.copy() if total is not None else None))
    return out


def _missing() -> tuple[pd.DataFrame, pd.DataFrame | None]:
    raise AssertionError("computed above")
