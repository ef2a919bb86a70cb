"""``columns=``: your column names -> ours, checked against the columns the files have.

A mapping is per table (``{"tickets": {"opened": "created_at"}}``) or one for every table
(``{"opened": "created_at"}``).  A mistake in it is a
:class:`~rollout_metrics.errors.DataValidationError` listing every problem at once, each with
the closest matches and the columns that exist: a table name we do not know, a key that names
no column of its table (a Latin ``K`` inside «Канал»), a target that is almost one of our
names (``chanel``), two columns mapped to one name.  A target that is not one of ours and
not close to one is a rename of a segment attribute and is fine.

Examples
--------
>>> headers = {"tickets": ["id", "opened", "Канал"], "customers": ["customer_id"]}
>>> per_table({"tickets": {"opened": "created_at"}}, headers)["tickets"]
{'opened': 'created_at'}
>>> per_table({"tickets": {"Kанал": "channel", "opened": "created"}}, headers)
Traceback (most recent call last):
...
rollout_metrics.errors.DataValidationError: columns=: 2 problems: tickets has no column 'Kанал' (did you mean 'Канал'?); its columns: id, opened, Канал; tickets: 'opened' is mapped to 'created', which is not one of our columns (did you mean 'created_at'?)
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from rollout_metrics.errors import DataValidationError, did_you_mean
from rollout_metrics.load.schema import TABLES

__all__ = ["per_table"]


def _near(name: str, options: list[str]) -> list[str]:
    folded = {o.casefold(): o for o in options}
    return [folded[m] for m in difflib.get_close_matches(name.casefold(), list(folded), n=1,
                                                          cutoff=0.75)]


def _check_table(table: str, mapping: Mapping[Any, Any], headers: list[str],
                 problems: list[str], *, shared: bool) -> None:
    ours = list(TABLES[table].names)
    targets: dict[str, str] = {}
    for key, target in mapping.items():
        if not isinstance(key, str) or not isinstance(target, str):
            problems.append(f"{table}: {key!r} -> {target!r} must map a column name to a "
                            "column name")
            continue
        if key not in headers:
            if not shared:
                problems.append(f"{table} has no column {key!r}{did_you_mean(key, headers)}; "
                                f"its columns: {', '.join(headers)}")
            continue
        if target not in ours and (near := _near(target, ours)):
            problems.append(f"{table}: {key!r} is mapped to {target!r}, which is not one of "
                            f"our columns (did you mean {near[0]!r}?)")
        if target in targets:
            problems.append(f"{table}: {targets[target]!r} and {key!r} are both mapped to "
                            f"{target!r}")
        targets[target] = key


def per_table(columns: Mapping[str, Any] | None, headers: Mapping[str, list[str]]
              ) -> dict[str, dict[str, str]]:
    """The checked mapping of each table in ``headers`` (its columns as read).

    Raises
    ------
    DataValidationError
        Listing every mistake (see the module docstring).
    """
    if not columns:
        return {t: {} for t in headers}
    if not isinstance(columns, Mapping):
        raise DataValidationError(
            f"columns= must be a mapping, got {type(columns).__name__}")
    problems: list[str] = []
    tables = list(TABLES)
    nested = [k for k, v in columns.items() if isinstance(v, Mapping)]
    if nested:
        for key in nested:
            if key not in tables:
                problems.append(f"unknown table {key!r}{did_you_mean(str(key), tables)}; "
                                f"tables: {', '.join(tables)}")
        flat = [k for k in columns if k not in nested]
        if flat:
            problems.append(f"{', '.join(map(repr, flat))}: a per-table mapping holds only "
                            f"tables ({', '.join(tables)}), each with its own mapping")
        out = {t: dict(columns.get(t, {})) for t in headers}
        for t, m in out.items():
            _check_table(t, m, headers[t], problems, shared=False)
    else:
        out = {t: {k: v for k, v in columns.items() if k in headers[t]} for t in headers}
        everywhere = {h for hs in headers.values() for h in hs}
        for key in columns:
            if key not in everywhere:
                problems.append(f"no table has a column {key!r}"
                                f"{did_you_mean(str(key), sorted(everywhere))}")
        for t in headers:
            _check_table(t, columns, headers[t], problems, shared=True)
    if problems:
        n = len(problems)
        head = "columns=: " + (f"{n} problems: " if n > 1 else "")
        raise DataValidationError(head + "; ".join(problems))
    return out
