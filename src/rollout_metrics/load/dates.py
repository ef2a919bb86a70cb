"""Day-first or month-first: told from the data only when the data proves it.

Text dates like ``31.08.2025`` or ``08/31/2025`` are read without a ``date_format`` only when
some value settles the order: a first field above 12 proves day-first, a second field above
12 proves month-first.  When no value settles it (``01.02.2025`` could be either) or values
contradict each other, the load stops and asks for the format: a silent day/month swap would
move rows across the change date.  ISO 8601 needs nothing.

Examples
--------
>>> import pandas as pd, narwhals as nw
>>> from rollout_metrics.load.schema import TABLES
>>> lf = nw.from_native(pd.DataFrame({"customer_id": [1, 2],
...     "signup_date": ["31.08.2025 14:05", "01.09.2025 09:00"]})).lazy()
>>> detect_formats({"customers": lf})[:2]
('%d.%m.%Y %H:%M:%S', '%d.%m.%Y %H:%M')
>>> us = nw.from_native(pd.DataFrame({"customer_id": [1],
...     "signup_date": ["01/02/2025"]})).lazy()
>>> detect_formats({"customers": us})  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
rollout_metrics.errors.DataValidationError: customers.signup_date: 1 dates such as '01/02/2025' could be day-first or month-first ...
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import narwhals as nw

from rollout_metrics.errors import DataValidationError
from rollout_metrics.load.distinct import few_values, weighted_sums
from rollout_metrics.load.schema import TABLES

__all__ = ["detect_formats"]

_SEPARATORS = (".", "/", "-")
_DATE = r"^\s*\d{1,2}[{s}]\d{1,2}[{s}]\d{4}(?: \d{1,2}:\d{2}(?::\d{2})?)?\s*$"
#: What every numeric date above starts with.
_LEAD = r"^\s*\d{1,2}[./-]"
_DAY_FIRST = r"^\s*(?:1[3-9]|[23]\d)[{s}]"
_MONTH_FIRST = r"^\s*\d{1,2}[{s}](?:1[3-9]|[23]\d)[{s}]"
_HINT = ("pass the format, e.g. read=ReadOptions(date_format='%d.%m.%Y %H:%M') or "
         "date_format = \"%d.%m.%Y %H:%M\" in [data] (%m/%d/%Y for US dates)")


def _esc(sep: str) -> str:
    return "\\" + sep if sep in ".-" else sep


def _flags(col: str, sep: str) -> dict[str, nw.Expr]:
    """Whether a value of ``col`` is a numeric date with separator ``sep`` (``n``), one
    whose first field proves day-first (``day``) and one whose second proves month-first."""
    e = _esc(sep)
    # One anchored pattern first: ISO values fail it at their third character and skip
    # the nine below (CASE runs its branch only on the rows that pass, on DuckDB).
    lead = nw.col(col).str.contains(_LEAD).fill_null(False)
    date = nw.when(lead).then(
        nw.col(col).str.contains(_DATE.replace("{s}", e)).fill_null(False)
    ).otherwise(nw.lit(False))
    day = date & nw.col(col).str.contains(_DAY_FIRST.replace("{s}", e)).fill_null(False)
    month = date & nw.col(col).str.contains(_MONTH_FIRST.replace("{s}", e)).fill_null(False)
    return {"n": date, "day": day, "month": month}


def _stats(frame: nw.LazyFrame[Any], cols: list[str]) -> dict[tuple[str, str, str], int]:
    """Per (column, separator, what): rows matching; columns of few distinct values (dates
    without a time) checked once per value, the others in one pass over the rows."""
    few = few_values(frame, cols)
    out: dict[tuple[str, str, str], int] = {}
    if few:
        flags = {(s, w): f for s in _SEPARATORS for w, f in _flags("__v", s).items()}
        found = weighted_sums(frame, few, {f"{s}|{w}": f for (s, w), f in flags.items()})
        out = {(c, s, w): found[c][f"{s}|{w}"] for c in few for s, w in flags}
    rest = [c for c in cols if c not in few]
    if rest:
        per_row = {(c, s, w): f for c in rest for s in _SEPARATORS
                   for w, f in _flags(c, s).items()}
        # Only rows where some column starts like a numeric date reach the nine patterns
        # (ISO timestamps: none; 10M text timestamps in three columns, 7.9 -> 1.4 s).
        lead = nw.any_horizontal(*[nw.col(c).str.contains(_LEAD).fill_null(False)
                                   for c in rest], ignore_nulls=True)
        row = frame.filter(lead).select([f.cast(nw.Int64).sum().alias(f"x{i}")
                                         for i, f in enumerate(per_row.values())]
                                        ).collect().row(0)
        out.update({k: int(v or 0) for k, v in zip(per_row, row, strict=True)})
    return {(c, s, w): out[(c, s, w)] for c in cols for s in _SEPARATORS
            for w in ("n", "day", "month")}


def _example(frame: nw.LazyFrame[Any], col: str, pattern: str) -> str:
    values = (frame.filter(nw.col(col).str.contains(pattern).fill_null(False))
              .select(col).head(3).collect().get_column(col).to_list())
    return " ".join(repr(str(v).strip()) for v in values)


def detect_formats(frames: Mapping[str, nw.LazyFrame[Any]]) -> tuple[str, ...]:
    """The formats of the numeric text dates in the timestamp columns of ``frames`` (tables
    with canonical column names, read with the same options): day-first or month-first
    when the values prove it, ``()`` when there are none; raises when they cannot tell."""
    found: dict[str, list[tuple[str, str, int]]] = {"day": [], "month": [], "n": []}
    where: dict[tuple[str, str], nw.LazyFrame[Any]] = {}
    for table, frame in frames.items():
        schema = frame.collect_schema()
        cols = [c.name for c in TABLES[table].columns
                if c.kind == "datetime" and c.name in schema and schema[c.name] == nw.String]
        if not cols:
            continue
        for (c, s, what), n in _stats(frame, cols).items():
            if n:
                found[what].append((f"{table}.{c}", s, n))
                where[(f"{table}.{c}", s)] = frame
    if not found["n"]:
        return ()
    seps = sorted({s for _, s, _ in found["n"]})
    if found["day"] and found["month"]:
        (dc, ds, _), (mc, ms, _) = found["day"][0], found["month"][0]
        day_ex = _example(where[(dc, ds)], dc.split(".")[1], _DAY_FIRST.replace("{s}", _esc(ds)))
        mon_ex = _example(where[(mc, ms)], mc.split(".")[1], _MONTH_FIRST.replace("{s}", _esc(ms)))
        raise DataValidationError(
            f"{dc} has dates with a first field above 12 ({day_ex}) and {mc} dates with a "
            f"second field above 12 ({mon_ex}): day-first and month-first cannot both be "
            f"right; {_HINT}")
    if not found["day"] and not found["month"]:
        col, s, n = found["n"][0]
        ex = _example(where[(col, s)], col.split(".")[1], _DATE.replace("{s}", _esc(s)))
        raise DataValidationError(
            f"{col}: {n} dates such as {ex} could be day-first or month-first (no day above "
            f"12 tells which); {_HINT}")
    first = "%d{s}%m{s}%Y" if found["day"] else "%m{s}%d{s}%Y"
    out: list[str] = []
    for s in seps:
        d = first.format(s=s)
        out += [f"{d} %H:%M:%S", f"{d} %H:%M", d]
    return tuple(out)
