"""Resolve ``by=`` into segment columns, joined from wherever they live.

A segment column comes from the metric's own table (a ticket's ``channel``), or
from the customers table joined on ``customer_id`` (``tier``, ``region``...), or
is derived: ``tenure_band`` is the customer's tenure at the change date.  Missing
segment values become the segment ``"(missing)"``: counted, never dropped.

Examples
--------
>>> normalise_by("tier"), normalise_by(["tier", "region"]), normalise_by(None)
(['tier'], ['tier', 'region'], [])
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import narwhals as nw

from .dataset import Dataset
from .errors import MissingColumnError
from .rollout import Rollout
from .schema import TABLES, TENURE_BANDS

__all__ = ["MISSING", "attach_segments", "available_segments", "normalise_by", "tenure_band"]

MISSING = "(missing)"


def normalise_by(by: str | Sequence[str] | None) -> list[str]:
    """``by`` as a list of column names."""
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    return list(dict.fromkeys(by))


def tenure_band(change_date: dt.date) -> nw.Expr:
    """Expression: the customer's tenure band at ``change_date`` from ``signup_date``."""
    change = dt.datetime(change_date.year, change_date.month, change_date.day)  # noqa: DTZ001
    signup = nw.col("signup_date")
    expr: Any = nw
    for label, low, high in TENURE_BANDS:
        cond = signup <= change - dt.timedelta(days=low)
        if high is not None:
            cond = cond & (signup > change - dt.timedelta(days=high))
        expr = expr.when(cond).then(nw.lit(label))
    result: nw.Expr = expr.otherwise(nw.lit(MISSING)).alias("tenure_band")
    return result


def _own_segment_columns(table: str, frame: nw.LazyFrame[Any]) -> list[str]:
    spec = TABLES[table]
    keep = [c.name for c in spec.columns if c.kind == "text"]
    extras = [c for c in frame.collect_schema().names() if c not in spec.names]
    return keep + extras if table != "customers" else extras


def available_segments(data: Dataset, table: str) -> list[str]:
    """Segment columns usable with a metric computed from ``table``."""
    own = _own_segment_columns(table, data.table(table)) if table != "customers" else []
    return list(dict.fromkeys(own + data.segment_columns))


def attach_segments(
    data: Dataset, table: str, by: list[str], rollout: Rollout | None, *, metric: str
) -> nw.LazyFrame[Any]:
    """``table`` with every ``by`` column present as text (joined from customers if needed)."""
    frame = data.table(table)
    own = set(frame.collect_schema().names()) if table != "customers" else set()
    customers = data.table("customers")
    customer_cols = set(customers.collect_schema().names())
    need_from_customers: list[str] = []
    if "tenure_band" in by and rollout is None:
        raise MissingColumnError(f"{metric}: tenure_band needs a rollout (its change date)")
    for col in by:
        if col in own:
            continue
        if col == "tenure_band" or col in customer_cols:
            need_from_customers.append(col)
            continue
        raise MissingColumnError(
            f"{metric}: segment column {col!r} does not exist. Available segments: "
            f"{available_segments(data, table)}"
        )
    if table == "customers":
        frame = customers
        if "tenure_band" in by:
            frame = frame.with_columns(tenure_band(rollout.change_date))  # type: ignore[union-attr]
    elif need_from_customers:
        cols = [c for c in need_from_customers if c != "tenure_band"]
        extra = customers.select("customer_id", *cols,
                                 *(["signup_date"] if "tenure_band" in by else []))
        if "tenure_band" in by:
            extra = extra.with_columns(
                tenure_band(rollout.change_date)  # type: ignore[union-attr]
            ).drop("signup_date")
        # Validation already excluded rows whose customer is unknown, so this join
        # keeps every row of the metric's table.
        extra = extra.with_columns(
            nw.col("customer_id").cast(frame.collect_schema()["customer_id"])
        )
        frame = frame.drop([c for c in need_from_customers if c in own]).join(
            extra, on="customer_id", how="left"
        )
    return frame.with_columns(
        [nw.col(c).cast(nw.String).fill_null(MISSING) for c in by]
    )
