"""Plain-language sentences and number formatting for the report.

The tables and the sentences of a report format numbers with the same functions, so a
number read in the executive summary is the number printed in the results table.

Examples
--------
>>> fmt(-6.24), fmt(float("nan")), fmt_p(0.00001)
('−6.2', '–', '<0.001')
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from rollout_metrics.metrics import REGISTRY, MetricOptions

__all__ = ["Sentence", "executive_summary", "fmt", "fmt_p", "sentence"]

MINUS = "\u2212"
CORRECTIONS = {"fdr_bh": "Benjamini–Hochberg", "holm": "Holm", "by": "Benjamini–Yekutieli",
               "none": "no correction"}


def fmt(value: Any, digits: int = 1) -> str:
    """A number for display: fixed decimals, a true minus sign, ``–`` for missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return "–"
    text = f"{float(value):,.{digits}f}"
    if text.lstrip("-").strip("0.,") == "":
        text = text.lstrip("-")
    return text.replace("-", MINUS)


def fmt_p(value: Any) -> str:
    """A p-value for display: three decimals, ``<0.001`` below that."""
    if value is None or pd.isna(value):
        return "–"
    return "<0.001" if float(value) < 0.001 else f"{float(value):.3f}"


@dataclass(frozen=True)
class Sentence:
    """One sentence of the executive summary and the results row it describes."""

    text: str
    metric: str = ""
    segment: str = ""
    by: str = ""
    comparison: str = ""


def _who(row: pd.Series, customer_columns: set[str]) -> str:
    if row["segment"] == "overall":
        return "overall"
    if row["by"] in customer_columns:
        return f"among {row['segment']} customers ({row['by']})"
    return f"for {row['by']} {row['segment']}"


def sentence(row: pd.Series, *, n_tests: int, correction: str, alpha: float,
             customer_columns: set[str] | None = None, handling_stat: str = "median"
             ) -> Sentence:
    """Describe one results row in a sentence.

    Examples
    --------
    >>> row = pd.Series({"metric": "nps", "segment": "VIP", "by": "tier",
    ...                  "comparison": "after_vs_before", "before": 50.7, "after": 28.6,
    ...                  "delta": -22.1, "ci_low": -31.6, "ci_high": -12.3,
    ...                  "significant": True})
    >>> print(sentence(row, n_tests=24, correction="fdr_bh", alpha=0.05,
    ...                customer_columns={"tier"}).text)
    NPS fell 22.1 points (95% CI −31.6 to −12.3) among VIP customers (tier) after the change,
    from 50.7 to 28.6; significant after correcting for 24 comparisons (Benjamini–Hochberg).
    """
    spec = REGISTRY.get(str(row["metric"]))
    subject = spec.subject(MetricOptions(handling_stat=handling_stat)) if spec else \
        str(row["metric"])
    unit = f" {spec.delta_units}" if spec and spec.delta_units else ""
    delta = float(row["delta"])
    verb = "rose" if delta > 0 else "fell" if delta < 0 else "did not change:"
    when = ("after the change" if row["comparison"] == "after_vs_before"
            else "during the announcement window")
    sig = row["significant"]
    how = f"correcting for {n_tests} comparisons ({CORRECTIONS.get(correction, correction)})"
    if pd.isna(sig):
        verdict = "not tested (too few observations)"
    elif bool(sig):
        verdict = f"significant after {how}"
    else:
        verdict = f"not significant after {how}"
    ci = "" if pd.isna(sig) else (
        f" ({1 - alpha:.0%} CI {fmt(row['ci_low'])} to {fmt(row['ci_high'])})")
    text = (f"{subject} {verb} {fmt(abs(delta))}{unit}{ci} {_who(row, customer_columns or set())} "
            f"{when}, from {fmt(row['before'])} to {fmt(row['after'])}; {verdict}.")
    return Sentence(text, str(row["metric"]), str(row["segment"]), str(row["by"]),
                    str(row["comparison"]))


def executive_summary(results: pd.DataFrame, *, correction: str, alpha: float,
                      customer_columns: set[str] | None = None, handling_stat: str = "median",
                      max_segments: int = 6) -> list[Sentence]:
    """Sentences for the report's first section, most important first.

    Every metric's overall change after the rollout, then every significant segment
    change after it (smallest adjusted p first, at most ``max_segments``), then every
    significant change during the announcement window.
    """
    n_tests = int(results["p_adjusted"].notna().sum())
    kw: dict[str, Any] = {"n_tests": n_tests, "correction": correction, "alpha": alpha,
                          "customer_columns": customer_columns, "handling_stat": handling_stat}
    after = results[results["comparison"] == "after_vs_before"]
    out = [sentence(r, **kw) for _, r in after[after["segment"] == "overall"].iterrows()]
    sig = results["significant"].fillna(False).astype(bool)
    seg = after[(after["segment"] != "overall") & sig[after.index]].sort_values("p_adjusted")
    out += [sentence(r, **kw) for _, r in seg.head(max_segments).iterrows()]
    if len(seg) > max_segments:
        out.append(Sentence(f"{len(seg) - max_segments} more segment changes are significant; "
                            "see the per-segment tables."))
    if seg.empty:
        out.append(Sentence(f"No segment changed significantly after the change, after "
                            f"correcting for {n_tests} comparisons."))
    trans = results[(results["comparison"] == "transition_vs_before") & sig]
    overall = trans["segment"] == "overall"
    out += [sentence(r, **kw) for _, r in trans[overall].iterrows()]
    if (~overall).any():
        out.append(Sentence(f"{int((~overall).sum())} segment changes during the announcement "
                            "window are significant; see the announcement-window table."))
    return out
