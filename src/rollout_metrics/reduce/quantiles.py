"""How a duration's tickets cluster by customer at a quantile: a second pass on the engine.

The variance of a quantile is that of the empirical distribution function at it over the
squared density (Deng, Knoblich & Lu 2018), and only the first factor depends on how tickets
cluster by customer.  That function at the quantile ``t_p`` of period ``p`` is a ratio of
sums over customers, ``F_p = Σ y_ip / Σ n_ip``, with ``y_ip`` the customer's closed tickets
of the period at or below ``t_p`` and ``n_ip`` all its closed tickets of the period.  This
pass computes ``y`` and ``n`` per customer with each segment's own thresholds (a CASE over
the few segments and periods), then the per-segment sums of them and of their products
(:func:`rollout_metrics.reduce.moments.customer_moments`): one row per segment leaves the
engine, as for the revenue metrics.

Examples
--------
>>> import rollout_metrics as rm
>>> data, r = rm.load_sample(), rm.Rollout("2025-09-01")
>>> m = quantile_moments(data, r, [], measure="resolution",
...                      thresholds={(): {"before": 600.0, "after": 600.0}})
>>> int(m["n_before"].iloc[0]) >= int(m["y_before"].iloc[0]) > 0
True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import narwhals as nw
import pandas as pd

from rollout_metrics.load.dataset import Dataset
from rollout_metrics.reduce.counts import ticket_minutes
from rollout_metrics.reduce.moments import customer_moments
from rollout_metrics.reduce.reduction import ReductionKey, Reductions
from rollout_metrics.reduce.segments import Segmented
from rollout_metrics.rollout import Rollout

__all__ = ["MAX_THRESHOLDS", "quantile_moments"]

#: Most (segment, period) thresholds one pass puts in its CASE expression.  Beyond it (a
#: grouping of hundreds of segments) the engine's plan grows with every branch, and the
#: quantile test keeps tickets as independent (its ``method`` says so).
MAX_THRESHOLDS = 600

Thresholds = Mapping[tuple[Any, ...], Mapping[str, float]]


def _segment_condition(seg: Segmented, by: list[str], key: tuple[Any, ...]) -> nw.Expr | None:
    """The rows of segment ``key`` (values of ``by``); ``None`` for the whole table."""
    values = dict(zip(by, key, strict=True))
    conditions: list[nw.Expr] = []
    if seg.labels is not None:
        coded = list(seg.labels.columns)
        wanted = tuple(values[c] for c in coded)
        rows = seg.labels[coded].astype(str).itertuples(index=False, name=None)
        code = next((i for i, row in enumerate(rows) if row == wanted), None)
        if code is None:
            raise KeyError(f"segment {key!r} has no code")
        conditions.append(nw.col("__seg") == code)
    conditions += [nw.col(c) == values[c] for c in by
                   if seg.labels is None or c not in seg.labels.columns]
    if not conditions:
        return None
    out = conditions[0]
    for c in conditions[1:]:
        out = out & c
    return out


def _threshold(seg: Segmented, by: list[str], thresholds: Thresholds) -> nw.Expr:
    """Per row: the threshold of its segment and period (null where none is given)."""
    chain: Any = nw
    for key, per_period in thresholds.items():
        where = _segment_condition(seg, by, key)
        for period, limit in per_period.items():
            here = nw.col("period") == period
            chain = chain.when(here if where is None else where & here).then(
                nw.lit(float(limit), nw.Float64))
    if chain is nw:
        return nw.lit(None, nw.Float64)
    result: nw.Expr = chain.otherwise(nw.lit(None, nw.Float64))
    return result


def _moments(red: Reductions, rollout: Rollout, by: list[str], measure: str,
             thresholds: Thresholds) -> pd.DataFrame:
    seg, timed = ticket_minutes(red, rollout, by, measure=measure)
    periods = list(rollout.windows())
    closed = nw.col("minutes") >= 0
    below = closed & (nw.col("minutes").cast(nw.Float64) <= nw.col("__limit"))
    helpers = []
    for p in periods:
        here = nw.col("period") == p
        helpers += [(here & below).fill_null(False).cast(nw.Float64).alias(f"y_{p}"),
                    (here & closed).fill_null(False).cast(nw.Float64).alias(f"n_{p}")]
    columns = [c for p in periods for c in (f"y_{p}", f"n_{p}")]
    per_customer = (timed.with_columns(_threshold(seg, by, thresholds).alias("__limit"))
                    .with_columns(*helpers)
                    .group_by("customer_id", *seg.keys)
                    .agg(*[nw.col(c).sum() for c in columns]))
    return customer_moments(per_customer, seg.keys, periods, seg, by)


def quantile_moments(source: Dataset | Reductions, rollout: Rollout, by: list[str], *,
                     measure: str, thresholds: Thresholds) -> pd.DataFrame:
    """Per segment: ``customers``, ``k_<p>`` and the sums of
    :func:`~rollout_metrics.reduce.moments.moment_names` of ``y_<p>`` (a customer's closed
    tickets in period ``p`` at or below its segment's threshold) and ``n_<p>`` (its closed
    tickets in ``p``).

    Parameters
    ----------
    measure
        ``"resolution"`` or ``"first_response"``, as in
        :func:`~rollout_metrics.reduce.counts.handling_counts`.
    thresholds
        Per segment (a tuple of the ``by`` values, as ``handling_counts`` spells them; ``()``
        without ``by``): the threshold in minutes of each period.  A segment or period left
        out counts no ticket as below.

    Computed once per dataset and arguments.
    """
    red = Reductions.of(source)
    change = rollout.change_date if "tenure_band" in by else None
    frozen = tuple((k, tuple(v.items())) for k, v in thresholds.items())
    key = ReductionKey("quantile_moments", tuple(by), tuple(rollout.windows().items()),
                       "period", (change, measure, frozen))
    result: pd.DataFrame = red.get(
        key, lambda: _moments(red, rollout, list(by), measure, thresholds))
    return result.copy()
