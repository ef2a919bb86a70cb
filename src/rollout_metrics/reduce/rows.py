"""Per-row columns of user-defined metrics, summed per day by the counts reductions.

A :class:`RowCount` says, declaratively, what one row adds to a day's sum: ``"n"`` (1 when
the row has a value in ``column`` and passes ``where``), ``"hits"`` (1 when, in addition,
the value is true or one of ``values``), ``"sum"`` / ``"sum_sq"`` (the value and its
square).  :func:`row_expression` turns it into a narwhals expression, so the same
definition runs on every engine.

Examples
--------
>>> import pandas as pd, narwhals as nw
>>> t = nw.from_native(pd.DataFrame({"category": ["refund", "billing", None],
...                                  "channel": ["chat", "chat", "phone"]}))
>>> hits = RowCount("refund__hits", "category", "hits", values=("refund",),
...                 where=(("channel", ("chat",)),))
>>> t.select(row_expression(hits).alias("x"))["x"].to_list()
[1, 0, 0]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import narwhals as nw

__all__ = ["WHATS", "RowCount", "row_expression"]

WHATS = ("n", "hits", "sum", "sum_sq")


@dataclass(frozen=True)
class RowCount:
    """What one row adds to a day's sum for a user-defined metric (see the module)."""

    name: str
    column: str
    what: str
    values: tuple[Any, ...] = ()
    where: tuple[tuple[str, tuple[Any, ...]], ...] = ()

    @property
    def is_float(self) -> bool:
        """Whether the sum is of values (``sum``, ``sum_sq``) rather than of rows."""
        return self.what in ("sum", "sum_sq")

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column it reads."""
        return (self.column, *(c for c, _ in self.where))


def _passes(rc: RowCount) -> nw.Expr:
    ok = ~nw.col(rc.column).is_null()
    for col, values in rc.where:
        ok = ok & nw.col(col).is_in(list(values)).fill_null(False)
    return ok


def _is_in(value: nw.Expr, values: tuple[Any, ...]) -> nw.Expr:
    """``value`` is one of ``values``; numbers are compared as floats, so ``[0, 1]`` finds
    the scores of a float column on every engine (Polars will not compare Int64 to Float64)."""
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return value.cast(nw.Float64).is_in([float(v) for v in values])
    return value.is_in(list(values))


def row_expression(rc: RowCount) -> nw.Expr:
    """The per-row value of ``rc`` (0 for rows that do not count; never null)."""
    ok = _passes(rc)
    value = nw.col(rc.column)
    if rc.what == "n":
        return ok.cast(nw.Int64)
    if rc.what == "hits":
        hit = _is_in(value, rc.values) if rc.values else value.cast(nw.Boolean)
        return (ok & hit.fill_null(False)).cast(nw.Int64)
    number = value.cast(nw.Float64)
    if rc.what == "sum_sq":
        number = number * number
    return nw.when(ok).then(number).otherwise(nw.lit(0.0)).fill_null(0.0)
