"""Plain-language sentences and number formatting for the report.

The tables and the sentences of a report format numbers with the same functions, so a
number read in the executive summary is the number printed in the results table.

Examples
--------
>>> fmt(-6.24), fmt(float("nan")), fmt_p(0.00001)
('−6.2', '–', '<0.001')
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import pandas as pd

from rollout_metrics.report.i18n import Text

__all__ = ["Sentence", "executive_summary", "fmt", "fmt_p", "sentence", "text_for"]

CORRECTIONS = {"fdr_bh": "Benjamini–Hochberg", "holm": "Holm", "by": "Benjamini–Yekutieli",
               "none": "no correction"}


@cache
def text_for(lang: str = "en") -> Text:
    """The (shared) :class:`~rollout_metrics.report.i18n.Text` of ``lang``."""
    return Text(lang)


def fmt(value: Any, digits: int = 1, lang: str = "en") -> str:
    """A number for display: fixed decimals, a true minus sign, ``–`` for missing."""
    return text_for(lang).num(value, digits)


def fmt_p(value: Any, lang: str = "en") -> str:
    """A p-value for display: three decimals, ``<0.001`` below that."""
    return text_for(lang).p(value)


@dataclass(frozen=True)
class Sentence:
    """One sentence of the executive summary and the results row it describes."""

    text: str
    metric: str = ""
    segment: str = ""
    by: str = ""
    comparison: str = ""


def _who(row: pd.Series, customer_columns: set[str], t: Text) -> str:
    if row["segment"] == "overall":
        return t("s.overall")
    if row["by"] in customer_columns:
        return t("s.customers", segment=row["segment"], by=row["by"])
    return t("s.group", segment=row["segment"], by=row["by"])


def sentence(row: pd.Series, *, n_tests: int, correction: str, alpha: float,
             customer_columns: set[str] | None = None, handling_stat: str = "median",
             text: Text | None = None) -> Sentence:
    """Describe one results row in a sentence (in the language of ``text``, default English).

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
    >>> ru = sentence(row, n_tests=24, correction="fdr_bh", alpha=0.05,
    ...               customer_columns={"tier"}, text=Text("ru"))
    >>> print(ru.text.replace("\xa0", " "))
    NPS: снижение на 22,1 пункта (95 % ДИ от −31,6 до −12,3) у клиентов сегмента «VIP» (tier)
    после изменения, с 50,7 до 28,6; значимо с поправкой на 24 сравнения (Бенджамини — Хохберг).
    """
    t = text or text_for("en")
    metric = str(row["metric"])
    delta = float(row["delta"])
    verb = t("s.rose" if delta > 0 else "s.fell" if delta < 0 else "s.flat")
    when = t("s.after" if row["comparison"] == "after_vs_before" else "s.transition")
    sig = row["significant"]
    how = t("s.correcting", n=n_tests, correction=t.correction(correction))
    if pd.isna(sig):
        verdict = t("s.not_tested")
    elif bool(sig):
        verdict = t("s.significant", how=how)
    else:
        verdict = t("s.not_significant", how=how)
    ci = "" if pd.isna(sig) else t("s.ci", level=t.level(alpha), low=t.num(row["ci_low"]),
                                    high=t.num(row["ci_high"]))
    amount = t.units_after(metric, t.num(abs(delta)))
    text_ = t("s.sentence", subject=t.subject(metric, handling_stat), verb=verb,
              delta=amount, units="", ci=ci, who=_who(row, customer_columns or set(), t),
              when=when, before=t.num(row["before"]), after=t.num(row["after"]),
              verdict=verdict)
    return Sentence(text_, metric, str(row["segment"]), str(row["by"]),
                    str(row["comparison"]))


def executive_summary(results: pd.DataFrame, *, correction: str, alpha: float,
                      customer_columns: set[str] | None = None, handling_stat: str = "median",
                      max_segments: int = 6, text: Text | None = None,
                      trend: dict[str, str] | None = None) -> list[Sentence]:
    """Sentences for the report's summary section, most important first.

    Every metric's overall change after the rollout, then every significant segment
    change after it (largest effect on the most customers first: the absolute standardized
    change times the segment's observations, at most ``max_segments``), then every
    significant change during the announcement window.  ``trend`` maps a metric to its
    trend-check code (:func:`rollout_metrics.report.trend.trend_check`): an overall change
    the pre-existing trend explains (or reverses) says so in its own sentence, so no
    sentence contradicts the first screen.
    """
    t = text or text_for("en")
    n_tests = int(results["p_adjusted"].notna().sum())
    kw: dict[str, Any] = {"n_tests": n_tests, "correction": correction, "alpha": alpha,
                          "customer_columns": customer_columns, "handling_stat": handling_stat,
                          "text": t}
    after = results[results["comparison"] == "after_vs_before"]
    out = []
    for _, r in after[after["segment"] == "overall"].iterrows():
        s = sentence(r, **kw)
        code = (trend or {}).get(str(r["metric"]))
        if code in ("explained", "opposite") and pd.notna(r["significant"]) and bool(
                r["significant"]):
            s = Sentence(f"{s.text} {t(f's.caveat.{code}')}", s.metric, s.segment, s.by,
                         s.comparison)
        out.append(s)
    sig = results["significant"].fillna(False).astype(bool)
    seg = after[(after["segment"] != "overall") & sig[after.index]]
    seg = seg.loc[importance(seg).sort_values(ascending=False, kind="stable").index]
    out += [sentence(r, **kw) for _, r in seg.head(max_segments).iterrows()]
    if len(seg) > max_segments:
        out.append(Sentence(t("s.more", n=len(seg) - max_segments)))
    if seg.empty:
        out.append(Sentence(t("s.no_segment", n=n_tests)))
    trans = results[(results["comparison"] == "transition_vs_before") & sig]
    overall = trans["segment"] == "overall"
    out += [sentence(r, **kw) for _, r in trans[overall].iterrows()]
    if (~overall).any():
        out.append(Sentence(t("s.transition_more", n=int((~overall).sum()))))
    return out


def importance(rows: pd.DataFrame) -> pd.Series:
    """How much a row matters: size of the effect × size of the segment.

    The effect is the relative change (``|delta| / |before|``, so metrics in different
    units compare), the size the observations of both periods; a row without a value
    scores 0.

    Examples
    --------
    >>> rows = pd.DataFrame({"delta": [-20.0, 5.0], "before": [50.0, 10.0],
    ...                      "n_before": [700, 3000], "n_after": [700, 3000]})
    >>> importance(rows).round(1).tolist()
    [560.0, 3000.0]
    """
    effect = (rows["delta"].astype(float) / rows["before"].astype(float).abs().clip(lower=1e-9))
    size = rows["n_before"].fillna(0) + rows["n_after"].fillna(0)
    return (effect.abs() * size).fillna(0.0).astype(float)
