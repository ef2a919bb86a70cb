"""Many segments in one column (city, account manager): the largest shown, the rest grouped.

A segment column with hundreds of values would give tables, a grid and forest plots of
hundreds of lines.  For a grouping with more than ``top`` segments the report shows the
``top`` largest (customers per segment for customer columns, otherwise observations) one
by one and puts the rest in one stated line, "238 other segments, 1,204 customers".  Only
the presentation changes: every segment is still compared, and every tested row still
counts in the family of the multiple-comparison correction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import narwhals as nw
import numpy as np
import pandas as pd

from rollout_metrics.load.dataset import Dataset
from rollout_metrics.reduce.segments import as_label
from rollout_metrics.report.i18n import Text

__all__ = ["OTHER", "Grouped", "group_segments", "grouped_rows"]

#: The ``segment`` of the line that stands for the grouped segments (in ``key``s).
OTHER = "(other segments)"


@dataclass(frozen=True)
class Grouped:
    """One grouping whose smaller segments are shown as one line.

    ``shown``: the segments shown one by one, largest first; ``rest``: the others;
    ``size``: the customers (``unit == "customers"``) or observations in ``rest``.
    """

    by: str
    shown: tuple[str, ...]
    rest: tuple[str, ...]
    size: int
    unit: str

    def line(self, t: Text) -> str:
        """``238 other segments, 1,204 customers`` in the report's language."""
        return t("other.line", segments=t("other.segments", n=len(self.rest)),
                 size=t(f"other.{self.unit}", n=self.size))


def _customer_sizes(data: Dataset, group: list[str]) -> pd.Series | None:
    """Customers per segment label of ``group`` (``None`` when a column is derived)."""
    if data.customers is None:
        return None
    schema = data.customers.collect_schema()
    if not set(group) <= set(schema.names()):
        return None
    frame = data.customers.select([as_label(c, schema[c]) for c in group])
    counts = frame.group_by(group).agg(nw.len().alias("n")).collect().to_pandas()
    labels = counts[group].astype(str).agg(" × ".join, axis=1)
    return pd.Series(counts["n"].to_numpy(), index=labels.to_numpy())


def group_segments(data: Dataset, table: pd.DataFrame, groups: list[list[str]],
                   top: int) -> dict[str, Grouped]:
    """The groupings of ``table`` (a results table) with more than ``top`` segments.

    Segments are ranked by customers for customer columns and otherwise by the largest
    ``n_before + n_after`` of their rows; ties by name.

    Examples
    --------
    >>> import rollout_metrics as rm
    >>> data = rm.load_sample()
    >>> t = rm.compare(data, rm.Rollout("2025-09-01"), ["nps"], by="tier")
    >>> g = group_segments(data, t, [["tier"]], top=2)["tier"]
    >>> g.shown, g.rest, g.unit
    (('regular', 'new'), ('VIP',), 'customers')
    """
    out: dict[str, Grouped] = {}
    for group in groups:
        by = " × ".join(group)
        rows = table[(table["by"] == by) & (table["segment"] != "overall")]
        segments = list(dict.fromkeys(rows["segment"].astype(str)))
        if len(segments) <= top:
            continue
        sizes = _customer_sizes(data, group)
        unit = "customers"
        if sizes is None or not set(segments) <= set(sizes.index):
            n = (rows["n_before"].fillna(0) + rows["n_after"].fillna(0)).astype(float)
            sizes = n.groupby(rows["segment"].astype(str).to_numpy()).max()
            unit = "observations"
        size = np.array([float(sizes.get(s, 0)) for s in segments])
        order = sorted(range(len(segments)), key=lambda i: (-size[i], segments[i]))
        shown = tuple(segments[i] for i in order[:top])
        rest = tuple(segments[i] for i in order[top:])
        out[by] = Grouped(by, shown, rest, int(sum(size[i] for i in order[top:])), unit)
    return out


def grouped_rows(table: pd.DataFrame, grouped: dict[str, Grouped],
                 t: Text) -> pd.DataFrame:
    """``table`` with the grouped segments of each grouping replaced by one row per metric
    and comparison: ``segment`` is :data:`OTHER`, ``status`` ``grouped``, ``note`` the
    stated line with the number of significant changes among them; no values."""
    if not grouped:
        return table
    parts: list[pd.DataFrame] = []
    extra: list[dict[str, Any]] = []
    for (metric, comparison, by), rows in table.groupby(
            ["metric", "comparison", "by"], sort=False, dropna=False):
        g = grouped.get(str(by))
        if g is None:
            parts.append(rows)
            continue
        rest = rows["segment"].isin(g.rest)
        parts.append(rows[~rest])
        if rest.any():
            hidden = rows[rest]
            sig = int(hidden["significant"].fillna(False).astype(bool).sum())
            extra.append({
                "metric": metric, "comparison": comparison, "by": by, "segment": OTHER,
                "n_before": hidden["n_before"].sum(), "n_after": hidden["n_after"].sum(),
                "significant": None, "status": "grouped", "n_significant": sig,
                "note": t("other.note", line=g.line(t), sig=t.num(sig, 0)),
                "label_line": g.line(t),
            })
    out = pd.concat([*parts, pd.DataFrame(extra)] if extra else parts, ignore_index=True)
    # Each grouped line right after the rows of its metric, comparison and grouping.
    order = {k: i for i, k in enumerate(dict.fromkeys(
        zip(table["metric"], table["comparison"], table["by"], strict=True)))}
    pos = [order.get((m, c, b), len(order)) for m, c, b in
           zip(out["metric"], out["comparison"], out["by"], strict=True)]
    out["__pos"], out["__other"] = pos, out["segment"].eq(OTHER)
    out = out.sort_values(["__pos", "__other"], kind="stable")
    return out.drop(columns=["__pos", "__other"]).reset_index(drop=True)
