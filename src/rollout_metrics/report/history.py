"""The report's history view in monitoring mode: how the picture formed, look by look.

A monitoring run (:mod:`rollout_metrics.monitor`) leaves its look on the results table
(``results.attrs[LOOK_ATTR]``, see :func:`rollout_metrics.monitor.sequential_results`).
:func:`monitoring_context` turns it, with the looks already in the run history, into the
report's history section: per metric, for the overall row and for the segments that breached
or nearly breached a guardrail, the estimate and its sequential interval at each look as a
small plot and a short table, and a sentence saying which interval decides (the
group-sequential one at a planned look, the always-valid confidence sequence at an
unplanned one; the results tables keep the fixed-horizon intervals).  Every word comes from
the message catalogue (:mod:`rollout_metrics.report.i18n`).

Examples
--------
>>> import pandas as pd
>>> from rollout_metrics.report.summary import text_for
>>> monitoring_context(pd.DataFrame(), pd.DataFrame(), text_for("en")) is None
True
"""

from __future__ import annotations

import base64
import datetime as dt
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from rollout_metrics.monitor import LOOK_ATTR, history_view
from rollout_metrics.report.i18n import Text

__all__ = ["NEAR", "TABLE_LOOKS", "history_frame", "monitoring_context", "plot_history"]

#: Looks listed in a metric's table (the latest; the plot shows every look).
TABLE_LOOKS = 8
#: Guardrail outcomes that put a segment in the history view (breached or nearly).
NEAR = ("breached", "met, not beyond the margin", "met, not significant")
_MARKER = {"group_sequential": "o", "confidence_sequence": "s", "fixed_horizon": "D"}
_COLUMNS = ["look", "cutoff", "information", "metric", "by", "segment", "delta",
            "seq_method", "seq_ci_low", "seq_ci_high"]


def history_frame(results: pd.DataFrame, look: Mapping[str, Any]) -> pd.DataFrame:
    """The after-vs-before rows of every look: the earlier looks from the run history (a
    re-run of this look replaces its line), this look from ``results``; columns
    ``look``, ``cutoff``, ``information``, ``metric``, ``by``, ``segment``, ``delta``,
    ``seq_method``, ``seq_ci_low``, ``seq_ci_high``.

    >>> rows = pd.DataFrame({"metric": ["nps"], "by": ["overall"], "segment": ["overall"],
    ...     "comparison": ["after_vs_before"], "delta": [-3.0], "seq_method":
    ...     ["group_sequential"], "seq_ci_low": [-9.0], "seq_ci_high": [3.0]})
    >>> history_frame(rows, {"number": 1, "cutoff": "2025-09-08", "information": 0.22,
    ...                      "history": None})[["look", "delta"]].to_dict("records")
    [{'look': 1, 'delta': -3.0}]
    """
    path = look.get("history")
    earlier = (history_view(path) if path and Path(path).exists()
               else pd.DataFrame(columns=_COLUMNS))
    earlier = earlier[(earlier["look"] != look["number"])
                      & (earlier.get("comparison", "after_vs_before") == "after_vs_before")]
    now = results[results["comparison"] == "after_vs_before"].assign(
        look=look["number"], cutoff=look["cutoff"], information=look["information"])
    frames = [f[_COLUMNS] for f in (earlier, now) if not f.empty]
    if not frames:
        return pd.DataFrame(columns=_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    ordered: pd.DataFrame = out.sort_values(["look"], kind="stable").reset_index(drop=True)
    return ordered


def _png(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, metadata={"Software": None})
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _who(segment: str, by: str, t: Text) -> str:
    return t("overall") if segment == "overall" else f"{segment} ({by})"


def _date(value: Any, t: Text) -> str:
    return t.date(dt.date.fromisoformat(str(value)), "MMMd") if value else "–"


def plot_history(frame: pd.DataFrame, metric: str, series: list[tuple[str, str]],
                 thresholds: list[float], t: Text, level: str) -> Figure:
    """The estimate and its sequential interval per look of ``metric``: one series per
    ``(segment, by)`` (dodged), circles at group-sequential looks, squares at unplanned ones
    (confidence sequence), 0 and the guardrails' ``thresholds`` as lines.

    >>> from rollout_metrics.report.summary import text_for
    >>> f = pd.DataFrame({"look": [1, 2], "cutoff": ["2025-09-08", "2025-09-15"],
    ...     "information": [0.22, 0.4], "metric": "nps", "by": "overall", "segment": "overall",
    ...     "delta": [-2.0, -3.0], "seq_method": "group_sequential", "seq_ci_low": [-9.0, -7.0],
    ...     "seq_ci_high": [5.0, 1.0]})
    >>> fig = plot_history(f, "nps", [("overall", "overall")], [-5.0], text_for("en"), "95%")
    >>> [tick.get_text() for tick in fig.axes[0].get_xticklabels()]
    ['1\\nSep 8', '2\\nSep 15']
    """
    # Looks in the order of their data (after a schedule change numbers need not be).
    cut = frame.drop_duplicates("look").set_index("look")["cutoff"]
    looks = sorted((int(k) for k in cut.index), key=lambda k: (str(cut[k]), k))
    place = {k: i + 1 for i, k in enumerate(looks)}
    fig = Figure(figsize=(7.5, 2.9), dpi=100, layout="constrained")
    ax = fig.subplots()
    ax.axhline(0.0, color="0.55", lw=0.8)
    for value in sorted(set(thresholds)):
        shown = t.num(value, 0 if float(value).is_integer() else 2)
        ax.axhline(value, color="#D55E00", lw=1.0, ls="--",
                   label=t("plot.history.guardrail", value=shown))
    width = 0.5 / max(1, len(series))
    for j, (segment, by) in enumerate(series):
        rows = frame[(frame["segment"] == segment) & (frame["by"] == by)]
        rows = rows.iloc[np.argsort(rows["look"].map(place).to_numpy(), kind="stable")]
        x0 = rows["look"].map(place).to_numpy(float) + (j - (len(series) - 1) / 2) * width
        color = f"C{j % 10}"
        for method, part in rows.assign(x=x0).groupby("seq_method", sort=False):
            d = part["delta"].to_numpy(float)
            err = np.vstack([d - part["seq_ci_low"].to_numpy(float),
                             part["seq_ci_high"].to_numpy(float) - d])
            ax.errorbar(part["x"], d, yerr=err, fmt=_MARKER.get(str(method), "o"),
                        color=color, ms=5, capsize=2, lw=1.2)
        ax.plot(x0, rows["delta"], color=color, lw=0.8, alpha=0.6,
                label=_who(segment, by, t))
    ax.set_xticks(list(place.values()),
                  [t("plot.history.look", n=k, date=_date(cut.get(k), t)) for k in looks])
    ax.set_xlim(0.4, len(looks) + 0.6)
    ax.set_xlabel(t("plot.history.xlabel"), fontsize=8)
    ax.set_ylabel(t("plot.history.ylabel", units=t.units(metric)), fontsize=8)
    ax.set_title(t("plot.history.title", metric=t.label(metric), level=level), fontsize=9)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=7, frameon=False, loc="best")
    return fig


def _series(results: pd.DataFrame, guardrails: pd.DataFrame, metric: str
            ) -> list[tuple[str, str]]:
    rows = results[(results["metric"] == metric) & (results["comparison"] == "after_vs_before")]
    out = [(str(s), str(b)) for s, b in zip(rows["segment"], rows["by"], strict=True)
           if s == "overall"]
    if not guardrails.empty:
        g = guardrails[(guardrails["metric"] == metric)
                       & (guardrails["comparison"] == "after_vs_before")
                       & guardrails["outcome"].isin(NEAR) & (guardrails["segment"] != "overall")]
        out += list(dict.fromkeys((str(s), str(b)) for s, b in zip(g["segment"], g["by"],
                                                                   strict=True)))
    return out


def _decides(look: Mapping[str, Any], t: Text, level: str) -> tuple[str, str]:
    when = _date(look.get("cutoff"), t)
    if look["method"] == "confidence_sequence":
        if look.get("planned"):
            items = [t("history.reason.item", n=n, day=t.num(d, 0))
                     for n, d in look.get("off_plan", [])]
            why = t("history.reason.off_plan", looks=", ".join(items))
        else:
            why = t("history.reason.no_schedule")
        decides = t("history.decides.cs", look=look["number"], cutoff=when, reason=why,
                    level=level)
    else:
        decides = t("history.decides.gs", look=look["number"], planned=look["planned"],
                    cutoff=when, spending=t(f"spending.{look['spending']}"), level=level)
    guard = t("history.guard_note", method=t(f"method.{look['method']}"))
    return decides, guard


def monitoring_context(results: pd.DataFrame, guardrails: pd.DataFrame, t: Text
                       ) -> dict[str, Any] | None:
    """The history section of a monitoring run's report; ``None`` outside monitoring mode
    (no look on ``results``)."""
    look = results.attrs.get(LOOK_ATTR)
    if not look:
        return None
    level = t.level(float(look.get("alpha", 0.05)))
    frame = history_frame(results, look)
    decides, guard = _decides(look, t, level)
    metrics = []
    for metric in dict.fromkeys(str(m) for m in results["metric"]):
        series = _series(results, guardrails, metric)
        part = frame[(frame["metric"] == metric)
                     & frame[["segment", "by"]].apply(tuple, axis=1).isin(series)]
        if part.empty:
            continue
        thresholds = [] if guardrails.empty else [
            float(v) for v in guardrails.loc[(guardrails["metric"] == metric)
                                             & (guardrails["field"] == "delta")
                                             & (guardrails["comparison"] == "after_vs_before"),
                                             "threshold"].unique()]
        fig = plot_history(part, metric, series, thresholds, t, level)
        # overall first, then the segments; each by the looks' data, the latest looks only
        ordered = part.assign(_rank=[series.index((str(s), str(b))) for s, b in
                                     zip(part["segment"], part["by"], strict=True)],
                              _cut=part["cutoff"].astype(str)).sort_values(
            ["_rank", "_cut", "look"], kind="stable")
        looks = list(dict.fromkeys(int(k) for k in ordered.sort_values(
            ["_cut", "look"], kind="stable")["look"]))
        listed = ordered[ordered["look"].isin(looks[-TABLE_LOOKS:])]
        rows = [{
            "look": int(r["look"]), "cutoff": _date(r["cutoff"], t),
            "information": t.num(r["information"], 2),
            "segment": _who(str(r["segment"]), str(r["by"]), t),
            "delta": t.num(r["delta"]),
            "ci": t("ci.range", low=t.num(r["seq_ci_low"]), high=t.num(r["seq_ci_high"])),
            "method": t(f"method.{r['seq_method']}"),
        } for _, r in listed.iterrows()]
        more = (t("history.table_last", last=TABLE_LOOKS, n=len(looks))
                if len(looks) > TABLE_LOOKS else "")
        metrics.append({"metric": metric, "label": t.label(metric), "png": _png(fig),
                        "caption": t("cap.history", metric=t.label(metric)), "rows": rows,
                        "more": more})
    return {"decides": decides, "guard_note": guard, "metrics": metrics, "level": level,
            "method": look["method"]}
