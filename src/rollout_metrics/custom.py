"""Metrics an analyst defines without editing the package: a proportion, a mean, an event
rate per active customer or a ratio of sums, over a column of any loaded table (surveys,
tickets, orders, customers), with an optional filter.

:func:`define_metric` builds a :class:`~rollout_metrics.metrics.MetricSpec` whose per-row
columns (:class:`~rollout_metrics.reduce.rows.RowCount`) are summed on the data's own engine,
and registers it: from then on ``compare``, the segments, the designs, the plots, the report
and guardrails treat it like a built-in metric.

On surveys and tickets, proportions, means and rates are summed per day (the daily tests of
the built-in metrics):

* ``"proportion"``: the share of rows (with a value in ``column`` and passing ``where``) whose
  value is true, or one of ``values``; pooled two-proportion z test, Newcombe interval; %.
* ``"mean"``: the mean of a numeric ``column`` over the rows passing ``where``; Welch t test.
* ``"rate"`` (tickets): rows that are true / one of ``values`` per 1,000 active customers
  per 30 days; the overdispersion-aware daily rate test of complaints.

Everything else is a ratio of two sums per customer, clustered by customer (the average
check's inference), because the rows of one customer are not independent:

* ``"ratio"`` (surveys, tickets, orders): with ``per="row"`` the sum of ``column`` (or, with
  ``values``, the rows whose value is one of them) over the rows with a value that pass
  ``where``; with ``per="customer"`` that sum over the active customer-days, x 30.  This is
  the kind for a share of tickets or orders.
* ``"proportion"`` and ``"mean"`` on orders: a ratio per order; on customers: a ratio over
  the customers active in the period (at least one active day), each counted once per
  period, e.g. the share of active customers on auto-renewal.  Customers active in both
  periods are one cluster.
* ``"rate"`` on surveys or orders: rows per 1,000 active customers per 30 days (a ratio per
  customer).  A customers row is not an event (churn is the built-in ``churn``).

Examples
--------
>>> import rollout_metrics as rm
>>> spec = define_metric("chat_share", table="tickets", kind="proportion", column="channel",
...                      values=["chat"], direction=1, label="Tickets by chat (%)")
>>> t = rm.compare(rm.load_sample(), rm.Rollout("2025-09-01"), "chat_share")
>>> print(t[["metric", "segment", "before", "after"]].round(1).to_string(index=False))
    metric segment  before  after
chat_share overall    24.1   23.5
>>> unregister_metric("chat_share")
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rollout_metrics.errors import DataValidationError
from rollout_metrics.metrics import (
    REGISTRY,
    MetricOptions,
    MetricSpec,
    ratio_spec,
    register_metric,
    unregister_metric,
)
from rollout_metrics.reduce.rows import RowCount
from rollout_metrics.stats.sufficient import EventExposure, Moments, Proportion

__all__ = ["CUSTOM_KINDS", "define_metric", "unregister_metric"]

CUSTOM_KINDS = ("proportion", "mean", "rate", "ratio")

#: The tables each kind can be defined on.
_TABLES = {"proportion": ("surveys", "tickets", "orders", "customers"),
           "mean": ("surveys", "tickets", "orders", "customers"),
           "rate": ("surveys", "tickets", "orders"), "ratio": ("surveys", "tickets", "orders")}
#: The (table, kind) pairs summed per day; every other pair is a ratio clustered by customer.
_DAILY = {("surveys", "proportion"), ("surveys", "mean"), ("tickets", "proportion"),
          ("tickets", "mean"), ("tickets", "rate")}
#: The rows of a table in units (the default units of a share).
_ROWS = {"surveys": "surveys", "tickets": "tickets", "orders": "orders",
         "customers": "active customers"}


def _where(where: Mapping[str, Any] | None) -> tuple[tuple[str, tuple[Any, ...]], ...]:
    out = []
    for col, allowed in (where or {}).items():
        values = (allowed,) if isinstance(allowed, str | int | float | bool) else tuple(allowed)
        if not values:
            raise DataValidationError(f"where: {col!r} lists no value")
        out.append((str(col), values))
    return tuple(out)


def _proportion(name: str) -> Any:
    def statistic(s: Mapping[str, Any], _: MetricOptions) -> Proportion:
        return Proportion(int(s[f"{name}__hits"]), int(s[f"{name}__n"]))
    return statistic


def _mean(name: str) -> Any:
    def statistic(s: Mapping[str, Any], _: MetricOptions) -> Moments:
        return Moments(int(s[f"{name}__n"]), float(s[f"{name}__sum"]),
                       float(s[f"{name}__sum_sq"]))
    return statistic


def _events(s: Mapping[str, Any], _: MetricOptions) -> EventExposure:
    return EventExposure(int(s["events"]), float(s["exposure"]))


def _share(stat: Proportion, _: MetricOptions) -> float:
    return stat.share


def _average(stat: Moments, _: MetricOptions) -> float:
    return stat.mean


def _rate(stat: EventExposure, _: MetricOptions) -> float:
    return stat.rate


RATE_UNITS = "per 1,000 customers per 30 days"


def _clustered(name: str, table: str, kind: str, row: Any, label: str, column: str,
               picked: tuple[Any, ...], per: str, units: str | None, direction: int
               ) -> MetricSpec:
    """A ratio of two sums per customer (:func:`~rollout_metrics.metrics.ratio_spec`):
    ``kind="ratio"``, or a proportion, mean or rate on a table whose rows are not summed
    per day (see the module)."""
    if kind == "rate":
        per, share = "customer", False
        numerator = row("y", "hits", picked)
    else:
        share = kind == "proportion" or (kind == "ratio" and bool(picked) and per == "row")
        numerator = (row("y", "hits", picked) if kind == "proportion" or picked
                     else row("y", "sum"))
    shown = (RATE_UNITS if kind == "rate" else
             "per active customer per 30 days" if per == "customer" else
             f"% of {_ROWS[table]}" if share else
             column if kind == "mean" else f"per {table[:-1]}")
    scale = (30000.0 if kind == "rate" else 30.0 if per == "customer" else
             100.0 if share else 1.0)
    return ratio_spec(
        name, label=label, table=table, column=column, units=units or shown, needs=column,
        delta_units="percentage points" if share else (units or shown), scale=scale,
        direction=direction, phrase=label, daily="none: pooled per customer (no daily series)",
        per_customer=per == "customer", row_counts=(numerator, row("n", "n")), relative=True)


def define_metric(name: str, *, table: str, kind: str, column: str,
                  values: Sequence[Any] | None = None, where: Mapping[str, Any] | None = None,
                  direction: int, label: str | None = None, units: str | None = None,
                  per: str = "row", replace: bool = False) -> MetricSpec:
    """Define and register a metric on ``table`` (``"surveys"``, ``"tickets"``, ``"orders"``
    or ``"customers"``; which kind runs on which table and how: see the module).

    Parameters
    ----------
    name
        Its name in results, guardrails and ``metrics=`` (letters, digits, ``_``).
    table, kind, column
        The table, ``"proportion"``, ``"mean"``, ``"rate"`` or ``"ratio"`` (see the module),
        and the column it reads.
    values
        For ``proportion`` and ``rate``: the values that count (default: a true flag); for
        ``ratio``: count the rows holding one of them instead of summing ``column``.
    where
        Only rows whose columns hold one of the given values, e.g.
        ``{"channel": ["chat", "email"]}``.
    direction
        ``+1`` when higher is better for customers, ``-1`` when higher is worse.
    label, units
        Shown in tables, plots and the report (default: ``name`` and the kind's units).
    per
        For ``ratio``: ``"row"`` (per row of ``table`` with a value) or ``"customer"`` (per
        active customer per 30 days; needs the customers table).
    replace
        Replace a metric of the same name (a built-in one never).
    """
    if not name.isidentifier():
        raise DataValidationError(f"metric name must be letters, digits and _, got {name!r}")
    if name in REGISTRY and (not replace or not REGISTRY[name].row_counts):
        built_in = not REGISTRY[name].row_counts
        raise DataValidationError(
            f"a metric named {name!r} exists{' (built in)' if built_in else ''}; pick another "
            f"name{'' if built_in else ' or pass replace=True'}")
    if kind not in CUSTOM_KINDS:
        raise DataValidationError(f"kind must be one of {CUSTOM_KINDS}, got {kind!r}")
    if table not in _TABLES[kind]:
        why = (" (a customers row is not an event; churn is the built-in 'churn')"
               if table == "customers" and kind == "rate" else "")
        raise DataValidationError(
            f"{name}: a {kind} metric is defined on {', '.join(_TABLES[kind])}, got "
            f"{table!r}{why}")
    if kind == "mean" and values:
        raise DataValidationError(f"{name}: values= is for proportions, rates and ratios")
    if per not in ("row", "customer") or (per == "customer" and kind != "ratio"):
        raise DataValidationError(f"{name}: per must be 'row' or 'customer' (ratios only), "
                                  f"got {per!r}")
    picked = tuple(values or ())
    filters = _where(where)

    def row(key: str, what: str, hits: tuple[Any, ...] = ()) -> RowCount:
        return RowCount(f"{name}__{key}", column, what, hits, filters)

    text = label or name
    common: dict[str, Any] = {
        "name": name, "label": text, "table": table, "needs": column, "direction": direction,
        "phrase": text, "relative": True}
    if (table, kind) not in _DAILY:
        spec = _clustered(name, table, kind, row, text, column, picked, per, units, direction)
    elif kind == "proportion":
        counts: tuple[RowCount, ...] = (row("n", "n"), row("hits", "hits", picked))
        spec = MetricSpec(
            **common, kind="counts", columns=tuple(c.name for c in counts),
            statistic=_proportion(name), point=_share, test="proportion",
            units=units or "%", scale=100.0, delta_units="percentage points",
            method="Pooled two-proportion z test; Newcombe hybrid score interval",
            daily="% of rows, weighted by rows", row_counts=counts)
    elif kind == "mean":
        counts = tuple(row(w, w) for w in ("n", "sum", "sum_sq"))
        spec = MetricSpec(
            **common, kind="counts", columns=tuple(c.name for c in counts),
            statistic=_mean(name), point=_average, test="welch", units=units or column,
            scale=1.0, method="Welch t test from per-day sums", daily="mean, weighted by rows",
            row_counts=counts)
    else:
        counts = (row("hits", "hits", picked),)
        spec = MetricSpec(
            **common, kind="rate", columns=(counts[0].name,), statistic=_events, point=_rate,
            test="rate_daily", units=units or RATE_UNITS,
            scale=30000.0,
            method="Exact Poisson rate test, or quasi-Poisson with weekday terms on the daily "
                   "series when it is overdispersed",
            daily="rows over active customer-days", row_counts=counts)
    return register_metric(spec, replace=replace)
