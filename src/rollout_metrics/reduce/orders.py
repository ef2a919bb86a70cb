"""Per-customer order sums on the data's own engine, for the revenue metrics (clustered by
customer).

Each revenue metric is a ratio of two sums over customers, ``R_p = Σ y_ip / Σ n_ip`` per
period ``p``: revenue over orders (average check), or revenue or orders over the customer's
active days (per active customer).  Its variance clustered by customer needs, per segment,
the sums of ``y_p``, ``n_p`` and of every product of two of them over the periods (the
before and after periods share customers).  The engine computes each customer's ``y_p`` and
``n_p`` (one group-by of the orders, joined to the customers for active days) and then
those sums per segment: one row per segment leaves the engine.

The cap of a capped metric is the ``winsorize`` quantile (linear interpolation, R's type 7)
of the order amounts of the before period only, so the after period cannot move it; it is
taken exactly from the few largest amounts, on the engine.

Examples
--------
>>> import pandas as pd, rollout_metrics as rm
>>> orders = pd.DataFrame({"order_id": [1, 2, 3, 4], "customer_id": [1, 1, 2, 2],
...                        "ordered_at": ["2025-01-05", "2025-01-20", "2025-02-03",
...                                       "2025-02-10"], "amount": [10.0, 30.0, 50.0, 70.0]})
>>> data = rm.load_dataset({"orders": orders})
>>> r = rm.Rollout("2025-02-01", pre_days=30, post_days=30)
>>> m = order_moments(data, r, [], value="amount", per="order")
>>> m[["customers", "y_before", "n_before", "y_after", "n_after"]].to_dict("records")
[{'customers': 2, 'y_before': 40.0, 'n_before': 2.0, 'y_after': 120.0, 'n_after': 2.0}]
>>> order_cap(data, r, 0.5)
20.0
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import narwhals as nw
import pandas as pd

from rollout_metrics._engine.cast import with_seconds_between
from rollout_metrics.errors import DataValidationError, MissingColumnError
from rollout_metrics.load.dataset import Dataset
from rollout_metrics.load.schema import TABLES
from rollout_metrics.reduce.moments import customer_moments, moment_names
from rollout_metrics.reduce.reduction import ReductionKey, Reductions
from rollout_metrics.reduce.rows import RowCount, row_expression
from rollout_metrics.reduce.segments import attach_segments
from rollout_metrics.rollout import Rollout

__all__ = ["moment_names", "order_cap", "order_moments"]

DAY = 86400.0


def order_cap(source: Dataset | Reductions, rollout: Rollout, quantile: float) -> float:
    """The ``quantile`` (linear interpolation) of the order amounts of the before period.

    Only the amounts above the lower order statistic are read (``n (1 - q) + 1`` of them),
    so the cap of 10M orders at 0.999 reads 10,000 values.  ``nan`` when the before period
    has no orders.
    """
    if not 0.0 < quantile <= 1.0:
        raise DataValidationError(f"winsorize must be a quantile in (0, 1], got {quantile!r}")
    red = Reductions.of(source)
    lo, hi = rollout.windows()["before"]
    key = ReductionKey("order_cap", (), (lo, hi), "period", (quantile,))
    return float(red.get(key, lambda: _cap(red.data, lo, hi, quantile)))


def _cap(data: Dataset, lo: dt.datetime, hi: dt.datetime, q: float) -> float:
    before = data.table("orders").filter((nw.col("ordered_at") >= lo)
                                          & (nw.col("ordered_at") < hi))
    n = int(before.select(nw.len()).collect().item())
    if n == 0:
        return math.nan
    h = (n - 1) * q  # R type 7: x[floor(h)] + (h - floor(h)) (x[floor(h) + 1] - x[floor(h)])
    low = math.floor(h)
    largest = (before.select(nw.col("amount")).sort("amount", descending=True)
               .head(n - low).collect().get_column("amount").to_list())
    top: list[float] = sorted(float(v) for v in largest)  # ascending: x[low], x[low + 1]...
    upper = top[1] if len(top) > 1 else top[0]
    return top[0] + (h - low) * (upper - top[0])


def _amount(cap: float | None) -> nw.Expr:
    v = nw.col("amount")
    return v if cap is None or math.isnan(cap) else v.clip(upper_bound=cap)


def _per_customer_orders(red: Reductions, frame: nw.LazyFrame[Any], keys: list[str],
                         windows: dict[str, tuple[dt.datetime, dt.datetime]], value: str,
                         cap: float | None, table: str = "orders",
                         rows: tuple[RowCount, RowCount] | None = None) -> nw.LazyFrame[Any]:
    """Per customer (and segment keys): ``y_<p>`` (revenue or orders) and ``c_<p>`` (orders)
    of each period; with ``rows`` (a user-defined ratio) the per-row numerator and count of
    :func:`~rollout_metrics.reduce.rows.row_expression`."""
    if rows is not None:
        _check_rows(frame, table, rows)
    helpers = []
    time = str(TABLES[table].time)
    for p, (lo, hi) in windows.items():
        inside = (nw.col(time) >= lo) & (nw.col(time) < hi)
        if rows is not None:
            y, c = row_expression(rows[0]).cast(nw.Float64), row_expression(rows[1])
        else:
            y, c = (_amount(cap) if value == "amount" else nw.lit(1.0)), nw.lit(1)
        helpers += [nw.when(inside).then(y).otherwise(nw.lit(0.0)).cast(nw.Float64)
                    .alias(f"y_{p}"),
                    nw.when(inside).then(c).otherwise(nw.lit(0)).cast(nw.Float64)
                    .alias(f"c_{p}")]
    cols = [c for p in windows for c in (f"y_{p}", f"c_{p}")]
    return frame.with_columns(*helpers).group_by("customer_id", *keys).agg(
        *[nw.col(c).sum() for c in cols])


def _check_rows(frame: nw.LazyFrame[Any], table: str, rows: tuple[RowCount, RowCount]
                ) -> None:
    """A user-defined ratio's columns exist, and a summed one holds numbers."""
    schema = frame.collect_schema()
    metric = rows[0].name.split("__")[0]
    missing = sorted({c for rc in rows for c in rc.columns if c not in schema})
    if missing:
        raise MissingColumnError(
            f"{metric}: the {table} table has no column {', '.join(map(repr, missing))}. "
            f"Available columns: {list(schema.names())}")
    dtype = schema[rows[0].column]
    if rows[0].what == "sum" and not (dtype.is_numeric() or dtype == nw.Boolean):
        raise DataValidationError(
            f"{metric}: the {table} column {rows[0].column!r} is {dtype}, not a number; sum "
            "a numeric column, or give values= to count the rows holding them")


def _per_active_customer(frame: nw.LazyFrame[Any],
                         windows: dict[str, tuple[dt.datetime, dt.datetime]],
                         rows: tuple[RowCount, RowCount]) -> nw.LazyFrame[Any]:
    """A customers-table metric: per customer and period, the row's numerator and count when
    the customer has an active day in the period, else 0 (each active customer once)."""
    _check_rows(frame, "customers", rows)
    active = _active_days(frame, windows).with_columns(
        *[(nw.col(f"n_{p}") > 0).alias(f"__active_{p}") for p in windows])
    y, c = row_expression(rows[0]).cast(nw.Float64), row_expression(rows[1]).cast(nw.Float64)
    return active.with_columns(
        *[nw.when(nw.col(f"__active_{p}")).then(e).otherwise(nw.lit(0.0)).alias(f"{v}_{p}")
          for p in windows for v, e in (("y", y), ("n", c))])


def _active_days(frame: nw.LazyFrame[Any], windows: dict[str, tuple[dt.datetime, dt.datetime]]
                 ) -> nw.LazyFrame[Any]:
    """``n_<p>``: the customer's active days in each period, ``signup day <= d < churn day``
    (the exposure rule of the rates)."""
    names = frame.collect_schema().names()
    out = frame
    for p, (lo, hi) in windows.items():
        length = float((hi - lo).days)
        out = with_seconds_between(out, f"__first_{p}", "signup_date", lo)
        first = (nw.col(f"__first_{p}") / DAY).floor().clip(lower_bound=0.0)
        if "churn_date" in names:
            out = with_seconds_between(out, f"__last_{p}", "churn_date", lo)
            last = (nw.col(f"__last_{p}") / DAY).floor().fill_null(length).clip(
                upper_bound=length)
        else:
            last = nw.lit(length)
        out = out.with_columns((last - first).clip(lower_bound=0.0).alias(f"n_{p}"))
    return out.drop([c for c in out.collect_schema().names() if c.startswith("__first_")
                     or c.startswith("__last_")])


def _moments(red: Reductions, rollout: Rollout, by: list[str], value: str, per: str,
             cap: float | None, metric: str, table: str = "orders",
             rows: tuple[RowCount, RowCount] | None = None) -> pd.DataFrame:
    windows = rollout.windows()
    periods = list(windows)
    if table == "customers":
        if rows is None:
            raise ValueError("a customers ratio needs rows")
        seg = attach_segments(red, "customers", by, rollout, metric=metric)
        sums = _per_active_customer(seg.frame, windows, rows)
        keys = seg.keys
    elif per == "order":
        seg = attach_segments(red, table, by, rollout, metric=metric)
        sums = _per_customer_orders(red, seg.frame, seg.keys, windows, value, cap, table, rows)
        sums = sums.with_columns(*[nw.col(f"c_{p}").alias(f"n_{p}") for p in periods])
        keys = seg.keys
    elif per == "customer":
        if red.data.customers is None:
            raise MissingColumnError(f"{metric}: counted per active customer; the customers "
                                     "table was not given")
        seg = attach_segments(red, "customers", by, rollout, metric=metric)
        base = _active_days(seg.frame.select("customer_id", *seg.keys, "signup_date", *(
            ["churn_date"] if "churn_date" in seg.frame.collect_schema().names() else [])),
            windows)
        orders = _per_customer_orders(red, red.data.table(table), [], windows, value, cap,
                                      table, rows)
        orders = orders.with_columns(nw.col("customer_id").cast(
            base.collect_schema()["customer_id"]))
        sums = (base.select("customer_id", *seg.keys, *[f"n_{p}" for p in periods])
                .join(orders, on="customer_id", how="left")
                .with_columns(*[nw.col(f"y_{p}").fill_null(0.0) for p in periods]))
        keys = seg.keys
    else:
        raise ValueError(per)
    return customer_moments(sums, keys, periods, seg, list(by))


def order_moments(source: Dataset | Reductions, rollout: Rollout, by: list[str], *,
                  value: str, per: str, cap: float | None = None, metric: str = "orders",
                  table: str = "orders", rows: tuple[RowCount, RowCount] | None = None
                  ) -> pd.DataFrame:
    """Per segment: ``customers`` (with a unit in some period), ``k_<p>`` (customers with a
    unit in period ``p``) and the sums of :func:`moment_names` over customers.

    Parameters
    ----------
    value
        ``"amount"``: ``y`` is revenue (amounts capped at ``cap``); ``"orders"``: ``y`` counts
        orders.
    per
        ``"order"``: ``n`` counts the customer's orders (segments of the orders table or the
        customer); ``"customer"``: ``n`` is the customer's active days in the period, every
        active customer counts, with or without orders (customer segments only).
    cap
        Upper cap of an order amount (:func:`order_cap`), ``None`` for none.
    table, rows
        A user-defined ratio (:func:`rollout_metrics.define_metric`): the table whose rows
        are summed per customer (``orders`` or ``tickets``) and the per-row numerator and
        count (``value`` is then ignored; with ``per="customer"`` the count is not used).
    """
    if per not in ("order", "customer") or (rows is None
                                            and value not in ("amount", "orders")):
        raise ValueError(f"value={value!r}, per={per!r}")
    if cap is not None and math.isnan(cap):
        cap = None
    red = Reductions.of(source)
    change = rollout.change_date if "tenure_band" in by else None
    key = ReductionKey("order_moments", tuple(by), tuple(rollout.windows().items()), "period",
                       (change, value, per, cap, table, rows))
    result: pd.DataFrame = red.get(
        key, lambda: _moments(red, rollout, list(by), value, per, cap, metric, table, rows))
    return result.copy()
