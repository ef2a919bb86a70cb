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
from dataclasses import dataclass
from typing import Any

import narwhals as nw
import numpy as np
import pandas as pd

from rollout_metrics._engine.frames import take_text
from rollout_metrics.errors import MissingColumnError
from rollout_metrics.load.dataset import Dataset
from rollout_metrics.load.schema import TABLES, TENURE_BANDS
from rollout_metrics.reduce.reduction import Reductions
from rollout_metrics.rollout import Rollout

__all__ = ["MAX_CASE_LEVELS", "MAX_CODED_SEGMENTS", "MISSING", "RESERVED", "By", "Segmented", "attach_segments", "available_segments",
           "groupings", "normalise_by", "tenure_band"]

MISSING = "(missing)"
#: Labels the results reserve: the overall row and empty segment values. A data value
#: spelled like one is shown in quotes (``"overall"``) so it can never take their place.
RESERVED = ("overall", MISSING)


def as_label(col: str, dtype: Any = None) -> nw.Expr:
    """``col`` as segment text: reserved spellings quoted, empty values ``(missing)``.

    ``dtype`` (the column's narwhals type) gives booleans, dates and timestamps one spelling
    on every engine: ``True``/``False``, ``2024-01-31``, and ``2024-01-31 10:30:00`` (a
    timestamp at midnight is written as its date).

    Examples
    --------
    >>> import pandas as pd
    >>> f = nw.from_native(pd.DataFrame({"tier": ["VIP", "overall", None, "(missing)"]}))
    >>> f.select(as_label("tier"))["tier"].to_list()
    ['VIP', '"overall"', '(missing)', '"(missing)"']
    >>> at = pd.to_datetime(["2024-01-31 00:00", "2024-02-01 10:30"])
    >>> g = nw.from_native(pd.DataFrame({"at": at}))
    >>> g.select(as_label("at", nw.Datetime()))["at"].to_list()
    ['2024-01-31', '2024-02-01 10:30:00']
    """
    c = nw.col(col)
    text: nw.Expr
    if dtype is not None and dtype == nw.Boolean:
        text = nw.when(c).then(nw.lit("True")).otherwise(
            nw.when(~c).then(nw.lit("False")))
    elif dtype is not None and dtype == nw.Datetime:
        midnight = (c.dt.hour() == 0) & (c.dt.minute() == 0) & (c.dt.second() == 0)
        text = nw.when(midnight).then(c.dt.to_string("%Y-%m-%d")).otherwise(
            c.dt.to_string("%Y-%m-%d %H:%M:%S"))
    elif dtype is not None and dtype == nw.Date:
        text = c.dt.to_string("%Y-%m-%d")
    else:
        text = c.cast(nw.String)
    quoted: Any = nw
    for word in RESERVED:
        quoted = quoted.when(text == word).then(nw.lit(f'"{word}"'))
    result: nw.Expr = quoted.otherwise(text).fill_null(MISSING).alias(col)
    return result


def normalise_by(by: str | Sequence[str] | None) -> list[str]:
    """``by`` as a list of column names (one crossed grouping)."""
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    return list(dict.fromkeys(by))


By = str | Sequence[str] | Sequence[Sequence[str]] | None


def groupings(by: By) -> list[list[str]]:
    """The segment groupings ``by`` asks for; one meaning everywhere.

    ``"tier"`` is one column; ``["tier", "region"]`` crosses the columns (one grouping,
    ``tier × region``); a list of lists asks for each grouping separately, e.g.
    ``[["tier"], ["region"]]`` (or ``[["tier"], ["channel", "tier"]]``).

    Examples
    --------
    >>> groupings(None), groupings("tier"), groupings(["tier", "region"])
    ([[]], [['tier']], [['tier', 'region']])
    >>> groupings([["tier"], "region"])
    [['tier'], ['region']]
    """
    if by is None or isinstance(by, str):
        return [normalise_by(by)]
    items = list(by)
    if any(not isinstance(b, str) for b in items):
        out = [normalise_by(b) for b in items]  # type: ignore[arg-type]
        return [g for i, g in enumerate(out) if g and g not in out[:i]] or [[]]
    return [normalise_by(items)]  # type: ignore[arg-type]


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


#: Customer segments joined onto surveys and tickets travel as one integer code, decoded
#: after the reduction.  Joining and grouping one integer instead of several text columns
#: roughly halves the ticket reductions (10M tickets, tier x region x plan: 1.85 s -> 1.0 s
#: in DuckDB SQL).  Up to this many value combinations the code is a CASE chain; above, the
#: combinations present are numbered and joined.
MAX_CODED_SEGMENTS = 1_000_000
#: Above this many values in one column the code is joined instead of a CASE chain.
MAX_CASE_LEVELS = 64


@dataclass(frozen=True)
class Segmented:
    """A table ready to be reduced by segment.

    ``frame`` holds the ``keys`` to group by.  When customer segments were coded,
    ``labels`` maps each code (column ``__seg``) to its segment values, and
    :meth:`decode` turns a reduced table's codes back into the ``by`` columns.
    """

    frame: nw.LazyFrame[Any]
    keys: list[str]
    by: list[str]
    labels: pd.DataFrame | None = None

    def decode(self, reduced: pd.DataFrame, order: list[str]) -> pd.DataFrame:
        """``reduced`` (grouped by :attr:`keys`) with the ``by`` columns in their place,
        rows sorted by ``order`` (text ascending, numbers ascending, missing last).

        Rows are sorted on integer ranks before any text column is built, so a large
        reduced table (460,000 handling-time rows) is never sorted on its strings.
        """
        codes = None
        if self.labels is not None:
            codes = reduced["__seg"].to_numpy()
            bad = (codes < 0) | (codes >= len(self.labels))
            if bad.any():
                raise RuntimeError(f"segment codes outside the {len(self.labels)} known: "
                                   f"{sorted(set(codes[bad].tolist()))[:5]}")
        ranks = []
        for col in order:
            if codes is not None and col in self.labels.columns:  # type: ignore[union-attr]
                ranks.append(self._rank_of_level[col][codes])
            else:
                ranks.append(_rank(reduced[col]))
        perm = np.lexsort(ranks[::-1]) if ranks else np.arange(len(reduced))
        out = reduced.take(perm).reset_index(drop=True)
        if codes is None:
            return out
        out = out.drop(columns="__seg")
        positions = codes[perm]
        for col in self.labels.columns:  # type: ignore[union-attr]
            out[col] = take_text(self.labels[col].tolist(), positions)  # type: ignore[index]
        rest = [c for c in reduced.columns if c != "__seg" and c not in self.by]
        lead = [c for c in rest if c in ("day", "period", "first", "last")]
        return out[[*lead, *self.by, *[c for c in rest if c not in lead]]]

    @property
    def _rank_of_level(self) -> dict[str, np.ndarray]:
        """Per coded column: the text rank of each code's value (labels are sorted text)."""
        assert self.labels is not None
        return {c: pd.factorize(self.labels[c], sort=True)[0] for c in self.labels.columns}


def _rank(values: pd.Series) -> np.ndarray:
    """Integer (or float) sort keys of ``values``: missing values last."""
    if pd.api.types.is_numeric_dtype(values.dtype):
        return values.to_numpy(dtype=float, na_value=np.inf)
    codes, _ = pd.factorize(values, sort=True)
    return np.where(codes < 0, codes.max(initial=0) + 1, codes)


def _code(extra: nw.LazyFrame[Any], cols: list[str]) -> tuple[nw.LazyFrame[Any], pd.DataFrame]:
    """``customer_id, __seg``: one integer per combination of ``cols``, and the labels.

    With few levels per column the code is a CASE chain (mixed radix over each column's
    sorted levels), which DuckDB evaluates 4x faster than narwhals' ``replace_strict``. A
    column with many values (a city, a postcode, an account manager) would nest hundreds of
    conditions, so there the combinations present are numbered on the engine and joined.
    """
    combos = extra.select(cols).unique().with_row_index("__seg", order_by=cols)
    found = combos.collect().to_pandas()
    levels = {c: sorted(found[c].astype(str).unique().tolist()) for c in cols}
    size = int(np.prod([len(v) for v in levels.values()], dtype=float))
    widths = [len(v) for v in levels.values()]
    if min(widths) == 0 or max(widths) > MAX_CASE_LEVELS or size > MAX_CODED_SEGMENTS:
        numbered = combos.with_columns(nw.col("__seg").cast(nw.Int64))
        labels = found.sort_values("__seg")[cols].reset_index(drop=True)
        return extra.join(numbered, on=cols, how="left").select("customer_id", "__seg"), labels
    code: nw.Expr = nw.lit(0, nw.Int64)
    stride = 1
    for col in reversed(cols):
        lv = levels[col]
        chain: Any = nw
        for i, value in enumerate(lv):
            chain = chain.when(nw.col(col) == value).then(nw.lit(i, nw.Int64))
        code = code + chain.otherwise(nw.lit(-size, nw.Int64)) * stride
        stride *= len(lv)
    grid = np.indices([len(levels[c]) for c in cols]).reshape(len(cols), -1)
    labels = pd.DataFrame({c: np.asarray(levels[c], dtype=object)[grid[i]]
                           for i, c in enumerate(cols)})
    return extra.select("customer_id", code.alias("__seg")), labels


def attach_segments(
    red: Reductions, table: str, by: list[str], rollout: Rollout | None, *, metric: str
) -> Segmented:
    """``table`` with every ``by`` column available to group by.

    Columns of the table itself stay text.  Columns from the customers table are joined on
    ``customer_id`` as one integer code (a CASE chain, or a joined table of the
    combinations for columns of many values; see :func:`_code`); the code table is
    computed once per :class:`Reductions`.
    """
    data = red.data
    frame = data.table(table)
    own = set(frame.collect_schema().names()) if table != "customers" else set()
    customer_cols = (set(data.customers.collect_schema().names())
                     if data.customers is not None else set())
    need_from_customers: list[str] = []
    if "tenure_band" in by and rollout is None:
        raise MissingColumnError(f"{metric}: tenure_band needs a rollout (its change date)")
    for col in by:
        if col in own:
            continue
        if (col == "tenure_band" and data.customers is not None) or col in customer_cols:
            need_from_customers.append(col)
            continue
        why = " (no customers table was given: customer segments need it)" if (
            data.customers is None) else ""
        raise MissingColumnError(
            f"{metric}: segment column {col!r} does not exist{why}. Available segments: "
            f"{available_segments(data, table)}"
        )
    customers = data.table("customers") if need_from_customers or table == "customers" else None
    def as_text(f: nw.LazyFrame[Any], cols: list[str]) -> nw.LazyFrame[Any]:
        # tenure_band is our own label (never empty, never a reserved spelling).
        schema = f.collect_schema()
        labelled = [as_label(c, schema[c]) for c in cols if c != "tenure_band"]
        return f.with_columns(*labelled) if labelled else f

    if table == "customers":
        frame = data.table("customers")
        if "tenure_band" in by:
            frame = frame.with_columns(tenure_band(rollout.change_date))  # type: ignore[union-attr]
        return Segmented(as_text(frame, by), list(by), list(by))
    if not need_from_customers:
        return Segmented(as_text(frame, by), list(by), list(by))
    cols = [c for c in need_from_customers if c != "tenure_band"]
    assert customers is not None
    extra = customers.select("customer_id", *cols,
                             *(["signup_date"] if "tenure_band" in by else []))
    if "tenure_band" in by:
        extra = extra.with_columns(
            tenure_band(rollout.change_date)  # type: ignore[union-attr]
        ).drop("signup_date")
    extra = extra.with_columns(
        nw.col("customer_id").cast(frame.collect_schema()["customer_id"]),
        *[as_label(c, customers.collect_schema()[c]) for c in cols],
    )
    change = rollout.change_date if rollout is not None and "tenure_band" in by else None
    coded = red.get(("segment_codes", tuple(need_from_customers), change),
                    lambda: _code(extra, need_from_customers))
    own_by = [c for c in by if c not in need_from_customers]
    code_table, labels = coded
    # Computed and stored once per Reductions: every reduction joins the same table.
    extra = red.stored(
        ("segment_table", tuple(need_from_customers), change, str(extra.collect_schema()[
            "customer_id"])), code_table)
    # Validation already excluded rows whose customer is unknown, so this join
    # keeps every row of the metric's table.
    frame = frame.drop([c for c in need_from_customers if c in own]).join(
        extra, on="customer_id", how="left"
    )
    return Segmented(as_text(frame, own_by), [*own_by, "__seg"], list(by), labels)
