"""Excel workbooks (``.xlsx``, ``.xls``, ``.xlsb``, ``.ods``) read with python-calamine.

One sheet becomes one Arrow table, which DuckDB reads without a copy.  The first row is the
header.  A column keeps its cells' type when they share one (numbers, true/false, dates:
Excel stores a date as a serial number with a date format, calamine returns it as a date);
a column that mixes types becomes text (numbers without a trailing ``.0``, dates in ISO
form), so the same reading rules as for CSV decide what each value is.

Examples
--------
>>> column_to_arrow([1.0, 2.0, None]).type
DataType(int64)
>>> column_to_arrow([8.5, "N/A"]).to_pylist()
['8.5', 'N/A']
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa

from rollout_metrics.errors import DataValidationError

__all__ = ["EXCEL_SUFFIXES", "column_to_arrow", "read_sheet", "sheet_names"]

EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")


def _workbook(path: str, table: str) -> Any:
    from python_calamine import CalamineWorkbook

    try:
        return CalamineWorkbook.from_path(path)
    except Exception as exc:  # calamine raises its own and OS errors for a bad file
        raise DataValidationError(
            f"{table} ({path}): not a readable Excel workbook: {exc}") from exc


def sheet_names(path: str, table: str = "workbook") -> list[str]:
    """The sheet names of the workbook ``path``."""
    return list(_workbook(path, table).sheet_names)


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    return str(value)


def column_to_arrow(values: list[Any]) -> pa.Array:
    """One sheet column as an Arrow array: its cells' common type, else text."""
    cells = [None if v == "" else v for v in values]
    kinds = {type(v) for v in cells if v is not None}
    if kinds <= {bool} and kinds:
        return pa.array(cells, pa.bool_())
    if kinds and kinds <= {int, float}:
        if all(v is None or float(v).is_integer() for v in cells):
            return pa.array([None if v is None else int(v) for v in cells], pa.int64())
        return pa.array([None if v is None else float(v) for v in cells], pa.float64())
    if kinds and kinds <= {dt.datetime, dt.date}:
        return pa.array([v if v is None or isinstance(v, dt.datetime)
                         else dt.datetime.combine(v, dt.time()) for v in cells],
                        pa.timestamp("us"))
    return pa.array([_text(v) for v in cells], pa.string())


def read_sheet(path: str, table: str, sheet: str | None = None) -> pa.Table:
    """Sheet ``sheet`` of ``path`` (default: the sheet named like ``table``, ignoring case,
    else the first) as an Arrow table; the first row names the columns."""
    book = _workbook(path, table)
    names = list(book.sheet_names)
    if sheet is None:
        same = [n for n in names if n.strip().casefold() == table]
        sheet = same[0] if same else names[0] if names else None
    if sheet not in names:
        raise DataValidationError(
            f"{table} ({path}): no sheet {sheet!r}; sheets: {names}")
    try:
        rows = book.get_sheet_by_name(sheet).to_python(skip_empty_area=True)
    except Exception as exc:
        raise DataValidationError(
            f"{table} ({path}, sheet {sheet!r}): the sheet could not be read: {exc}") from exc
    if not rows:
        raise DataValidationError(f"{table} ({path}, sheet {sheet!r}): the sheet is empty")
    header = [_text(h) or f"column_{i + 1}" for i, h in enumerate(rows[0])]
    dups = sorted({h for h in header if header.count(h) > 1})
    if dups:
        raise DataValidationError(
            f"{table} ({path}, sheet {sheet!r}): the header names {dups} more than once")
    width = len(header)
    body = [list(r[:width]) + [None] * (width - len(r)) for r in rows[1:]]
    extra = [i + 2 for i, r in enumerate(rows[1:]) if any(v not in ("", None) for v in r[width:])]
    if extra:
        raise DataValidationError(
            f"{table} ({path}, sheet {sheet!r}): {len(extra)} rows have values right of the "
            f"last named column (rows {extra[:5]})")
    columns = list(zip(*body, strict=True)) if body else [() for _ in header]
    return pa.table({h: column_to_arrow(list(c)) for h, c in zip(header, columns, strict=True)})


def is_excel(path: str | Path) -> bool:
    """Whether ``path`` names an Excel (or OpenDocument) workbook."""
    return str(path).lower().endswith(EXCEL_SUFFIXES)
