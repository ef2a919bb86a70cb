"""Build the HTML report: run the comparisons, draw the figures, render the template.

The report is one self-contained HTML file: CSS inline, figures embedded as base64 PNG,
no external URL.  Everything from the data (segment names, quality examples, the title)
is escaped by Jinja2's autoescape.  The same inputs and seed give byte-identical HTML
except the line with the generation time (PNG metadata carries no software version or
date).  :meth:`Report.to_html` writes a temporary file next to the target and renames it,
so a failed write never leaves a truncated report nor destroys the previous one.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import os
import secrets
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

import jinja2
import markupsafe
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from rollout_metrics import plots
from rollout_metrics.comparison import compare, default_metrics
from rollout_metrics.designs.mixshift import mix_shift
from rollout_metrics.errors import DataValidationError, RolloutMetricsError
from rollout_metrics.load.dataset import Dataset
from rollout_metrics.metrics import get_metric
from rollout_metrics.reduce.reduction import Reductions
from rollout_metrics.reduce.segments import By, available_segments, groupings
from rollout_metrics.report.background import Background, in_background
from rollout_metrics.report.guardrails import COLUMNS as GUARDRAIL_COLUMNS
from rollout_metrics.report.guardrails import Guardrail, check_guardrails, evaluate_guardrails
from rollout_metrics.report.i18n import LANGS, Text, minutes_for
from rollout_metrics.report.many import group_segments, grouped_rows
from rollout_metrics.report.summary import (
    CORRECTIONS,
    Sentence,
    executive_summary,
    importance,
    text_for,
)
from rollout_metrics.report.trend import DISAGREE, trend_check
from rollout_metrics.rollout import Rollout

__all__ = ["Report", "build_report", "guardrail_context", "write_atomic"]

Progress = Callable[[str], None]
TIME_LINE = "generated-at"
#: Bytes per write call of :func:`write_atomic`.
CHUNK = 1 << 20


def _png(fig: Figure) -> str:
    buf = io.BytesIO()
    # The fastest zlib level: a report's figures encode in a tenth of the time, ~8% larger.
    fig.savefig(buf, format="png", dpi=90, metadata={"Software": None},
                pil_kwargs={"compress_level": 1})
    return base64.b64encode(buf.getvalue()).decode("ascii")


def temp_beside(path: Path) -> tuple[Path, Path]:
    """``(target, temporary file)`` for writing ``path`` atomically: the target is the file a
    symbolic link points to; the temporary name sits in its folder (created)."""
    target = path.resolve() if path.is_symlink() else path
    target.parent.mkdir(parents=True, exist_ok=True)
    return target, target.with_name(f".{target.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")


def settle(tmp: Path, target: Path) -> None:
    """Rename the complete ``tmp`` over ``target``, keeping a replaced file's permissions."""
    if target.exists():
        shutil.copymode(target, tmp)
    os.replace(tmp, target)


def write_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file in the same folder.

    The temporary file is renamed over ``path`` only once it is complete and synced, so
    ``path`` holds either its old content or the whole new one; on any failure the
    temporary file is removed and the error raised.  A replaced file keeps its permissions;
    a symbolic link is followed (its target is replaced).  Parent folders are created.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> write_atomic(folder / "a.html", "<p>ok</p>").read_text(encoding="utf-8")
    '<p>ok</p>'
    >>> sorted(p.name for p in folder.iterdir())
    ['a.html']
    """
    out = Path(path)
    data = memoryview(text.encode("utf-8"))  # fails before any file is touched
    target, tmp = temp_beside(out)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        try:
            while data:
                data = data[os.write(fd, data[:CHUNK]):]
            os.fsync(fd)
        finally:
            os.close(fd)
        settle(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out


#: The columns of a results table in the metric's units.
VALUE_COLUMNS = ("before", "after", "delta", "ci_low", "ci_high", "mde")


def _display(table: pd.DataFrame, t: Text) -> pd.DataFrame:
    """The results in the units the report shows (times under an hour in minutes, see
    :func:`rollout_metrics.report.i18n.minutes_for`); ``Report.results`` keeps the
    results' own units."""
    out = table.copy()
    factor = out["metric"].map(t.factor).astype(float)
    for col in VALUE_COLUMNS:
        out[col] = out[col].astype(float) * factor
    return out


def _no_guardrails() -> pd.DataFrame:
    return pd.DataFrame(columns=GUARDRAIL_COLUMNS)


@dataclass(frozen=True)
class Report:
    """A rendered rollout report: the results behind it and its HTML.

    Display it in a notebook (``_repr_html_``), write it with :meth:`to_html` or print it
    to a PDF with :meth:`pdf`.
    ``guardrails`` holds every row each guardrail checked, with its outcome (see
    :func:`rollout_metrics.report.guardrails.evaluate_guardrails`); ``breaches`` the
    breached ones.
    """

    title: str
    results: pd.DataFrame
    context: dict[str, Any] = field(repr=False)
    guardrails: pd.DataFrame = field(default_factory=_no_guardrails, repr=False)

    @property
    def breaches(self) -> pd.DataFrame:
        """The guardrail rows breached: significant rows that meet a condition."""
        return self.guardrails[self.guardrails["breached"].astype(bool)].reset_index(drop=True)

    def html(self, *, standalone: bool = True) -> str:
        """The report as HTML: a whole document, or a fragment for notebooks."""
        env = jinja2.Environment(
            loader=jinja2.FunctionLoader(_load_template), autoescape=True,
            undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        )
        # Our own stylesheet, not data: marked safe so autoescape leaves its quotes alone.
        css = markupsafe.Markup(
            (files("rollout_metrics.report") / "style.css").read_text(encoding="utf-8"))
        context = {"guardrails": None, "tiles": [], "lang": "en", "grid": [], "minutes": [],
                   "grid_table": {"metrics": [], "rows": []}, "grid_scale": "",
                   "grouped": [],
                   "trend_mark": False, **self.context}
        if "monitoring" not in context:  # the history view of a monitoring run
            from rollout_metrics.report.history import monitoring_context

            context["monitoring"] = monitoring_context(self.results, self.guardrails,
                                                       text_for(context["lang"]))
        return env.get_template("template.html.j2").render(
            **context, title=self.title, css=css, standalone=standalone,
            t=text_for(context["lang"]))

    def to_html(self, path: str | Path) -> Path:
        """Write the self-contained HTML file and return its path.

        Parent folders are created; the file is written to a temporary file next to it
        and renamed (:func:`write_atomic`), so a failed write leaves the old file intact.
        """
        return write_atomic(path, self.html())

    def pdf(self, path: str | Path) -> Path:
        """Print the report to a PDF file with headless Chromium and return its path.

        Written through a temporary file and renamed, like :meth:`to_html`; see
        :func:`rollout_metrics.report.pdf.write_pdf` (Chromium is found on ``PATH`` or
        through ``ROLLOUT_METRICS_CHROMIUM``; without it
        :class:`~rollout_metrics.report.pdf.ChromiumNotFoundError`).
        """
        from rollout_metrics.report.pdf import write_pdf

        return write_pdf(self.html(), path)

    def _repr_html_(self) -> str:
        return self.html(standalone=False)


def _load_template(name: str) -> str:
    return (files("rollout_metrics.report") / name).read_text(encoding="utf-8")


def _key(r: Any) -> str:
    """The key that ties a sentence, tile or guardrail to its row of the tables."""
    return f"{r['metric']}|{r['by']}|{r['segment']}|{r['comparison']}"


def _segment(r: Any, t: Text) -> str:
    return t("overall") if r["segment"] == "overall" else str(r["segment"])


def _rows(table: pd.DataFrame, t: Text) -> list[dict[str, Any]]:
    out = []
    for _, r in table.iterrows():
        sig = r["significant"]
        out.append({
            "key": _key(r), "metric": r["metric"], "label": t.label(str(r["metric"])),
            "segment": _segment(r, t), "is_overall": r["segment"] == "overall",
            # The overall row belongs to no grouping: no "tier:" in front of it.
            "by": "" if r["segment"] == "overall" else r["by"],
            "comparison": t.comparison(str(r["comparison"])),
            "n_before": t.num(r["n_before"], 0), "n_after": t.num(r["n_after"], 0),
            "before": t.num(r["before"]), "after": t.num(r["after"]), "delta": t.num(r["delta"]),
            "delta_rel": t.pct(r["delta_rel"], 1, sign=True),
            "ci": "–" if pd.isna(r["ci_low"]) else t("ci.range", low=t.num(r["ci_low"]),
                                                     high=t.num(r["ci_high"])),
            "p": t.p(r["p_value"]), "p_adj": t.p(r["p_adjusted"]),
            "significant": "–" if pd.isna(sig) else t("yes" if sig else "no"),
            "sig_class": "na" if pd.isna(sig) else ("sig" if sig else "ns"),
            "mde": t.num(r["mde"]), "status": t.status(str(r["status"])),
            "units": t.units(str(r["metric"])),
            # A line standing for many small segments (report/many.py).
            "other": r["status"] == "grouped", "note": str(r.get("note", "")),
        })
    return out


def _trend_flag(rows: list[dict[str, Any]], trend: dict[str, str],
                t: Text) -> list[dict[str, Any]]:
    """Overall rows whose change the trend check does not confirm say so in their status,
    so the headline table agrees with the tiles."""
    for r in rows:
        code = trend.get(str(r["metric"]))
        if r["is_overall"] and code in ("explained", "opposite"):
            r["status"] = f"{r['status']}, {t(f'status.trend_{code}')}"
            if r["sig_class"] == "sig":  # significant, yet no clear change: its own mark
                r["sig_class"], r["significant"] = "trend", t("sig.trend")
    return rows


def _verdict(row: Any, trend: str | None) -> tuple[str, str | None]:
    """The first screen's verdict of an overall row (``worse``, ``better``, ``none`` or
    ``no_data``) and the note that qualifies it, from the row and the trend check."""
    sig = row["significant"]
    if pd.isna(sig):
        return "no_data", None
    if trend == "explained":
        return "none", "tile.trend_explains"
    if trend == "opposite":
        return "none", "tile.trend_opposite"
    if bool(sig) and row["delta"] != 0:
        return _direction_class(row), (
            "tile.trend_unclear" if trend == "inconclusive" else None)
    return "none", "tile.trend_found" if trend == "found_only" else None


def _direction_class(row: Any) -> str:
    """``better`` or ``worse`` for customers: the row's change and its metric's direction."""
    good = (row["delta"] > 0) == (get_metric(str(row["metric"])).direction > 0)
    return "better" if good else "worse"


def _tiles(table: pd.DataFrame, metrics: list[str], trend: dict[str, str], alpha: float,
           t: Text, max_segments: int = 3) -> list[dict[str, Any]]:
    """One verdict tile per metric, from the overall after-vs-before row and the
    significant segment rows of the same table (most important first, see
    :func:`rollout_metrics.report.summary.importance`)."""
    after = table[table["comparison"] == "after_vs_before"]
    out = []
    for m in metrics:
        rows = after[after["metric"] == m]
        overall = rows[rows["segment"] == "overall"]
        if overall.empty:
            continue
        r = overall.iloc[0]
        verdict, note = _verdict(r, trend.get(m))
        delta = float(r["delta"])
        arrow = ("?" if verdict == "no_data" else "●" if verdict == "none"
                 else "▲" if delta > 0 else "▼")
        sig = rows["significant"].fillna(False).astype(bool)
        moved = rows[(rows["segment"] != "overall") & sig]
        moved = moved.loc[importance(moved).sort_values(ascending=False, kind="stable").index]
        segments = [{
            "key": _key(s), "segment": str(s["segment"]), "by": str(s["by"]),
            "delta": t.units_after(m, t.num(s["delta"], sign=True)),
            "rel": t.pct(s["delta_rel"], 1, sign=True) if pd.notna(s["delta_rel"]) else "",
            "arrow": "▲" if s["delta"] > 0 else "▼", "cls": _direction_class(s),
        } for _, s in moved.head(max_segments).iterrows()]
        out.append({
            "key": _key(r), "metric": m, "label": t.label(m), "units": t.units(m),
            "verdict": verdict, "word": t(f"verdict.{verdict}"), "arrow": arrow,
            "delta": t.units_after(m, t.num(delta, sign=True)),
            "delta_number": t.num(delta),
            "rel": t.pct(r["delta_rel"], 1, sign=True) if pd.notna(r["delta_rel"]) else "",
            "ci": "" if pd.isna(r["ci_low"]) else t(
                "tile.interval", level=t.level(alpha), low=t.num(r["ci_low"]),
                high=t.num(r["ci_high"])),
            "from_to": t("tile.from_to", before=t.num(r["before"]), after=t.num(r["after"])),
            "mde": (t("tile.mde", mde=t.num(r["mde"])) if verdict in ("none", "no_data")
                    and pd.notna(r["mde"]) else ""),
            "note": t(note) if note else "",
            "segments": segments,
            "more": t("tile.more_segments", n=len(moved) - max_segments)
                    if len(moved) > max_segments else "",
            "segmented": bool((rows["segment"] != "overall").any()),
        })
    return out


def _mix(red: Reductions, rollout: Rollout, metrics: list[str], groups: list[list[str]],
         handling_stat: str, t: Text) -> tuple[list[dict[str, str]], list[str]]:
    rows, notes = [], []
    data = red.data
    for group in groups:
        for m in metrics:
            if not group or not set(group) <= set(available_segments(data,
                                                                      get_metric(m).table)):
                continue
            try:
                shift = mix_shift(red, rollout, m, group, handling_stat=handling_stat)
            except RolloutMetricsError as exc:
                notes.append(f"{t.label(m)} · {' × '.join(group)}: {exc}")
                continue
            f = t.factor(m)
            for r in shift.to_dict("records"):
                share = float(r["mix_share"])
                rows.append({
                    "metric": str(r["metric"]), "label": t.label(str(r["metric"])),
                    "by": str(r["by"]), "comparison": t.comparison(str(r["comparison"])),
                    "overall": t.num(r["overall_delta"] * f), "within": t.num(r["within"] * f),
                    "mix": t.num(r["mix"] * f), "units": t.units(str(r["metric"])),
                    # A share is only a share when both parts point the same way.
                    "share": ("–" if np.isnan(share) or not 0 <= share <= 1
                              else t.pct(share, 0)),
                })
    return rows, notes


def _explained(trend: dict[str, str]) -> set[str]:
    """Metrics whose naive change the trend check explains or reverses."""
    return {m for m, code in trend.items() if code in ("explained", "opposite")}


#: The class of a grid cell by its mark (:func:`rollout_metrics.plots.heatmap_cells`).
GRID_CLASS = {"*": "sig", "†": "trend", "na": "na", "other": "other", "": "ns"}


def _grid(table: pd.DataFrame, trend: dict[str, str], alpha: float,
          t: Text) -> list[dict[str, str]]:
    """The cells of the metric × segment grid (:func:`rollout_metrics.plots.heatmap_cells`),
    with the colours :func:`~rollout_metrics.plots.plot_heatmap` gives them."""
    cells = plots.heatmap_cells(table, "after_vs_before", trend=_explained(trend), text=t,
                                alpha=alpha)
    out = []
    for r in cells.to_dict("records"):
        fill, ink = plots.heatmap_colours(r["z"])
        mark = str(r["mark"])
        out.append({"key": _key(r), "metric": t.short_label(str(r["metric"])),
                    "segment": str(r["name"]), "text": str(r["text"]), "mark": mark,
                    "cls": GRID_CLASS[mark], "fill": fill, "ink": ink})
    return out


def _grid_table(cells: list[dict[str, str]], t: Text) -> dict[str, Any]:
    """The grid as the page shows it: a column per metric, a row per segment (overall
    first), ``None`` where a metric has no such segment."""
    metrics = list(dict.fromkeys(c["metric"] for c in cells))
    labels = list(dict.fromkeys([t("plot.overall"), *(c["segment"] for c in cells)]))
    at = {(c["segment"], c["metric"]): c for c in cells}
    rows = [{"label": label, "cells": [at.get((label, m)) for m in metrics]}
            for label in labels if any((label, m) in at for m in metrics)]
    return {"metrics": metrics, "rows": rows}


#: Where a forest plot's axis leaves room on each side of its data (share of the width).
FOREST_PAD = 0.06


def _forest(part: pd.DataFrame, rows: list[dict[str, Any]], t: Text) -> dict[str, Any]:
    """A forest plot drawn by the page (:file:`template.html.j2`): the rows of the metric's
    segment table (``rows``, from :func:`_rows` of ``part``) with the positions, in percent
    of the axis, of each change, its interval, zero and the axis ticks.

    A significant change is a filled square in the colour of its direction for customers
    (vermillion: worse, blue: better), any other tested change an open grey circle, one the
    trend check explains an open diamond, as the tables mark them.
    """
    from matplotlib.ticker import MaxNLocator

    # Drawn: the tested rows (an untested one shows its status, a grouped line its note).
    drawn = np.array([not r["other"] and r["sig_class"] != "na" for r in rows], dtype=bool)
    values = part[["delta", "ci_low", "ci_high"]].to_numpy(float)[drawn]
    shown = values[np.isfinite(values)]
    lo, hi = (float(min(shown.min(), 0.0)), float(max(shown.max(), 0.0))) if shown.size \
        else (-1.0, 1.0)
    if hi - lo <= 0:
        lo, hi = lo - 1.0, hi + 1.0
    candidates = [float(x) for x in
                  MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10]).tick_values(lo, hi)]
    ticks = [x for x in candidates if lo - 1e-9 <= x <= hi + 1e-9]
    if len(ticks) < 3:  # too few to read the axis by: out to the ticks around the data
        below = [x for x in candidates if x < lo]
        above = [x for x in candidates if x > hi]
        ticks = [*below[-1:], *ticks, *above[:1]]
    lo, hi = min([lo, *ticks]), max([hi, *ticks])
    span = hi - lo
    lo, hi = lo - FOREST_PAD * span, hi + FOREST_PAD * span

    def at(x: float) -> float:
        return round(100 * (x - lo) / (hi - lo), 2)

    digits = next((d for d in range(4) if all(abs(round(x, d) - x) < 1e-9 for x in ticks)), 3)
    out = []
    for r, (_, raw), draw in zip(rows, part.iterrows(), drawn, strict=True):
        delta, low, high = (float(raw[c]) for c in ("delta", "ci_low", "ci_high"))
        cls = "other" if r["other"] else r["sig_class"]
        if cls == "sig":
            cls += " " + _direction_class(raw)
        interval = bool(draw and np.isfinite(low) and np.isfinite(high))
        out.append({**r, "cls": cls, "x": at(delta) if draw and np.isfinite(delta) else None,
                    "lo": at(low) if interval else None,
                    "width": at(high) - at(low) if interval else None})
    return {"rows": out, "zero": at(0.0),
            "ticks": [{"x": at(x), "text": t.num(x, digits)} for x in ticks],
            "xlabel": t("plot.forest.xlabel", units=t.units(str(part["metric"].iloc[0])))}


def _sections(after: pd.DataFrame, metrics: list[str], trend: dict[str, str], t: Text
              ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Per metric its segment table's rows (after vs before) and its forest plot, drawn by
    the page from the same rows."""
    sections: list[dict[str, Any]] = []
    forests: list[dict[str, Any]] = []
    for m in metrics:
        part = after[after["metric"] == m]
        rows = _trend_flag(_rows(part, t), trend, t)
        sections.append({"metric": m, "label": t.short_label(m), "units": t.units(m),
                         "rows": rows})
        if rows:
            forests.append({"id": f"forest-{m}", "caption": t("cap.forest", metric=t.label(m)),
                            "forest": _forest(part, rows, t), "first": not forests})
    return sections, forests


def _over_time(data: Reductions, rollout: Rollout, metrics: list[str], alpha: float,
               t: Text, curves: dict[str, pd.DataFrame]) -> Background:
    """The over-time figure (metrics with a daily series; a cohort share has none): its
    data read here, where the engine is, and drawn in a child meanwhile."""
    daily = [m for m in metrics if get_metric(m).has_daily_series]
    if not daily:
        return in_background({})
    scale = {m: t.factor(m) for m in daily}
    frames = plots.over_time_frames(data, rollout, daily, alpha=alpha, scale=scale)
    return in_background({"over-time": lambda: _png(plots.draw_over_time(
        frames, rollout, text=t, counterfactual=curves))})


def _figures(data: Reductions, rollout: Rollout, metrics: list[str], alpha: float,
             progress: Progress, t: Text, over_time: Background) -> list[dict[str, str]]:
    """The figures drawn by matplotlib, as base64 PNG in the report's order: the ECDF and
    Kaplan-Meier curves drawn here, then the over-time figure taken from its child (the
    forest plots are drawn by the page: :func:`_forest`)."""
    own: dict[str, Callable[[], Figure]] = {}
    if "handling_time" in metrics:
        own["handling-ecdf"] = lambda: plots.plot_handling_ecdf(data, rollout, text=t)
    if "churn" in metrics:
        own["churn-km"] = lambda: plots.plot_churn_survival(data, rollout, alpha=alpha, text=t)
    pngs: dict[str, str] = {}
    for fig_id, draw in own.items():
        progress(f"plot {fig_id}")
        pngs[fig_id] = _png(draw())
    for fig_id in over_time.names:
        progress(f"plot {fig_id}")
    pngs.update(over_time.result())
    return [{"id": fig_id, "caption": t(f"cap.{fig_id}"), "png": pngs[fig_id]}
            for fig_id in ("over-time", "handling-ecdf", "churn-km") if fig_id in pngs]


def guardrail_context(table: pd.DataFrame, t: Text) -> dict[str, Any]:
    """The report's guardrails section from a table of
    :func:`~rollout_metrics.report.guardrails.evaluate_guardrails`, in the language of ``t``.

    Examples
    --------
    >>> import rollout_metrics as rm
    >>> rep = rm.build_report(rm.load_sample(), rm.Rollout("2025-09-01"), metrics=["nps"],
    ...                       by="tier", guardrails=["nps[VIP].delta < -5"])
    >>> ctx = guardrail_context(rep.guardrails, text_for("ru"))
    >>> ctx["n"], ctx["breached"], ctx["rows"][0]["outcome"]
    (1, 1, 'нарушено')
    """
    rows = []
    for r in table.to_dict("records"):
        outcome = str(r["outcome"])
        rows.append({
            "guardrail": r["guardrail"], "metric": r["metric"],
            "label": t.label(str(r["metric"])), "by": "" if r["segment"] == "overall"
            else r["by"], "segment": _segment(r, t),
            "comparison": t.comparison(str(r["comparison"])), "key": _key(r),
            # Precise enough to compare with the threshold.
            "value": (t.p(r["value"]) if str(r["field"]).startswith("p_")
                      else t.num(r["value"], 3 if r["field"] == "delta_rel" else 2)),
            "p_adj": t.p(r["p_adjusted"]),
            "significant": ("–" if r["significant"] is None
                            else t("yes") if r["significant"] else t("no")),
            "status": t.status(str(r["status"])), "outcome": t(f"outcome.{outcome}"),
            "outcome_code": outcome,
            "sig_class": ("sig" if r["breached"] else "na" if outcome == "not tested"
                          else "ns"),
        })
    n_guards = table["guardrail"].nunique()
    breached = table.loc[table["breached"], "guardrail"].nunique()
    untested = int((table["outcome"] == "not tested").sum())
    return {"rows": rows, "n": n_guards, "breached": breached, "untested": untested}


def _methods(table: pd.DataFrame, metrics: list[str], opts: dict[str, Any],
             t: Text) -> list[dict[str, str]]:
    out = []
    for m in metrics:
        used = sorted({x for x in table.loc[table["metric"] == m, "method"] if x})
        out.append({"metric": m, "label": t.label(m), "test": t.method(m),
                    "methods": ", ".join(used) or "–",
                    "ci": t("ci.two_sided", level=t.level(opts["alpha"])),
                    "units": t.units(m)})
    return out


def _windows(rollout: Rollout, t: Text) -> str:
    """The calendar windows in words, last days included."""
    w = rollout.windows()
    day = dt.timedelta(days=1)
    shown = {k: t.interval(a.date(), (b - day).date()) for k, (a, b) in w.items()}
    if "transition" in shown:
        return t("lede.windows", **shown)
    return t("lede.windows_no_transition", before=shown["before"], after=shown["after"])


def build_report(
    data: Dataset, rollout: Rollout, metrics: str | Sequence[str] | None = None,
    by: By = None, *, title: str | None = None, lang: str = "en",
    alpha: float = 0.05, correction: str = "fdr_bh", min_n: int = 30,
    handling_stat: str = "median", n_resamples: int = 2000, seed: int = 0,
    guardrails: Sequence[str | Guardrail] | None = None,
    progress: Progress | None = None, top_segments: int = 12, repeat_days: int = 7,
    winsorize: float | None = 0.999,
) -> Report:
    """Compare every metric overall and per segment and render the HTML report.

    The table is one :func:`rollout_metrics.compare` call with the same ``metrics`` and
    ``by`` (a list of columns is crossed; a list of lists, e.g. ``[["tier"], ["channel"]]``,
    gives each grouping separately); all its tested rows, both comparisons included, form
    one family for the ``correction`` of p-values.

    Parameters
    ----------
    data, rollout
        The validated dataset and the rollout.
    metrics, by
        Metric names (default: the built-in defaults the data supports) and segments, as in
        :func:`rollout_metrics.compare`.
    title
        Shown as the heading (escaped); default: "Rollout report" in the report's language
        (the English default titles are translated, any other title is kept as given).
    lang
        The report's language: ``"en"`` or ``"ru"`` (headings, sentences, tables, plots,
        numbers and dates; data values are kept as the data has them).
    alpha, correction, min_n, handling_stat, n_resamples, seed
        As in :func:`rollout_metrics.compare`.
    guardrails
        Conditions such as ``"nps[VIP].delta < -5"``
        (:mod:`rollout_metrics.report.guardrails`): each is evaluated on the results, shown
        near the top of the report, breached or not, with the rows behind it, and returned
        in ``Report.guardrails``.  A guardrail that names a metric, segment, field or
        comparison that is not in the run raises :class:`~rollout_metrics.ConfigError`
        (metrics, fields and comparisons are checked before any computation).
    progress
        Called with a short message before each step (the CLI prints them).
    top_segments
        A grouping with more segments than this (a city or account-manager column) shows
        its ``top_segments`` largest one by one and the rest as one stated line ("238
        other segments, 1,204 customers") in the tables, the grid and the forest plots
        (:mod:`rollout_metrics.report.many`); every segment is still compared and counted
        in the family of comparisons.
    repeat_days
        The follow-up window of repeat contacts, as in :func:`rollout_metrics.compare`.
    winsorize
        The cap of order amounts for the capped revenue metrics, as in
        :func:`rollout_metrics.compare`.

    Returns
    -------
    Report
        ``.results`` (the tidy table with the report's adjusted p-values), ``.guardrails``
        and ``.breaches``, ``.html()``, ``.to_html(path)``, and an inline display in
        notebooks.

    Examples
    --------
    >>> import rollout_metrics as rm
    >>> rep = rm.build_report(rm.load_sample(), rm.Rollout("2025-09-01"), metrics=["nps"],
    ...                       by="tier")
    >>> rep.results["segment"].tolist()
    ['overall', 'VIP', 'new', 'regular']
    >>> 'id="summary"' in rep.html()
    True
    >>> rep = rm.build_report(rm.load_sample(), rm.Rollout("2025-09-01"), metrics=["nps"],
    ...                       by="tier", guardrails=["nps[vip].delta < -5"])
    >>> rep.breaches[["guardrail", "segment"]].to_dict("records")
    [{'guardrail': 'nps[vip].delta < -5', 'segment': 'VIP'}]
    """
    say = progress or (lambda _msg: None)
    if lang not in LANGS:
        raise DataValidationError(f"lang must be one of {', '.join(LANGS)}, got {lang!r}")
    base = text_for(lang)
    english = text_for("en")
    defaults = {english(k): base(k) for k in ("title.default", "title.sample")}
    title = base("title.default") if title is None else defaults.get(title, title)
    names = [metrics] if isinstance(metrics, str) else list(metrics or default_metrics(data))
    groups = groupings(by)
    by_list = list(dict.fromkeys(c for g in groups for c in g))
    if correction not in CORRECTIONS:
        raise DataValidationError(
            f"correction must be one of {list(CORRECTIONS)}, got {correction!r}")
    if isinstance(top_segments, bool) or not isinstance(top_segments, int) or top_segments < 1:
        raise DataValidationError(f"top_segments must be a whole number >= 1, got "
                                  f"{top_segments!r}")
    guards = check_guardrails(guardrails or [], names, announced=rollout.announced is not None)
    kwargs: dict[str, Any] = {"alpha": alpha, "min_n": min_n, "handling_stat": handling_stat,
              "n_resamples": n_resamples, "seed": seed, "repeat_days": repeat_days,
              "winsorize": winsorize}
    say(f"comparing {', '.join(names)}" + (
        " by " + ", ".join(" × ".join(g) for g in groups) if by_list else ""))
    # One set of reductions for the whole report: each table is reduced once.
    red = Reductions(data)
    table = compare(data, rollout, names, by, correction=correction, reductions=red, **kwargs)
    # Before the plots: a guardrail naming a segment that is not there fails fast.
    guard_table = evaluate_guardrails(table, guards) if guards else _no_guardrails()
    overall_rows = table[(table["segment"] == "overall")
                         & (table["comparison"] == "after_vs_before")]
    t = base.with_minutes(minutes_for(overall_rows))
    shown = _display(table, t)
    grouped = group_segments(data, table, groups, top_segments)
    view = grouped_rows(shown, grouped, t)  # tables, grid and plots: top segments + a line
    curves: dict[str, pd.DataFrame] = {}
    trend_rows, trend_sentences, trend_notes = trend_check(
        data, rollout, shown, names, alpha, say, reductions=red, text=t,
        handling_stat=handling_stat, curves=curves)
    trend_codes = {r["metric"]: r["code"] for r in trend_rows}
    # The over-time figure needs the trend check's curves; a child draws it during the mix
    # shift, the tables and this process's own figures.
    with _over_time(red, rollout, names, alpha, t, curves) as over_time:
        say("mix shift")
        mix_rows, mix_notes = _mix(red, rollout, names, groups, handling_stat, t)
        say("tables")
        summary: list[Sentence] = executive_summary(
            shown, correction=correction, alpha=alpha,
            customer_columns=set(data.segment_columns), handling_stat=handling_stat, text=t,
            trend={r["metric"]: r["code"] for r in trend_rows}) + trend_sentences
        after = view[view["comparison"] == "after_vs_before"]
        sections, forests = _sections(after, names, trend_codes, t)
        grid = _grid(view, trend_codes, alpha, t)
        pngs = _figures(red, rollout, names, alpha, say, t, over_time)
    first = 1 if pngs and pngs[0]["id"] == "over-time" else 0
    figures: list[dict[str, Any]] = [*pngs[:first], *forests, *pngs[first:]]
    n_tests = int(table["p_adjusted"].notna().sum())
    opts = {"alpha": alpha, "correction": t.correction(correction), "min_n": min_n,
            "n_resamples": n_resamples, "seed": seed,
            "handling_stat": t(f"stat.{handling_stat}"), "level": t.level(alpha),
            "alpha_text": t.num(alpha, 2), "n_resamples_text": t.num(n_resamples, 0)}
    excluded = int(data.rows["rows_excluded"].sum())
    context: dict[str, Any] = {
        "lang": lang,
        "windows": _windows(rollout, t),
        "tiles": _tiles(shown, names, trend_codes, alpha, t),
        "grid": grid,
        "grid_table": _grid_table(grid, t),
        # The colour scale under the grid: worse (left) to better (right) for customers.
        "grid_scale": "linear-gradient(to right, {})".format(", ".join(
            plots.heatmap_colours(z)[0] for z in np.linspace(-plots.HEATMAP_LIMIT,
                                                             plots.HEATMAP_LIMIT, 9))),
        "trend_mark": any(c["mark"] == "†" for c in grid),
        "disagree": [r["metric"] for r in trend_rows if r["code"] in DISAGREE],
        "summary": summary,
        # Guardrail values stay in the units their conditions are written in.
        "guardrails": guardrail_context(guard_table, base) if guards else None,
        "excluded": t("s.excluded", n=excluded) if excluded else "",
        "headline": _trend_flag(_rows(after[after["segment"] == "overall"], t), trend_codes,
                                t),
        "sections": sections,
        "transition": _rows(view[view["comparison"] == "transition_vs_before"], t),
        "grouped": [t("m.grouped", by=g.by, top=t.num(len(g.shown), 0),
                      total=t("n_segments", n=len(g.shown) + len(g.rest)),
                      rest=t.num(len(g.rest), 0)) for g in grouped.values()],
        "has_transition": rollout.announced is not None,
        "figures": figures,
        "mix": mix_rows, "mix_notes": mix_notes,
        "trend": trend_rows, "trend_notes": trend_notes,
        "rows_table": [{"table": r["table"], "rows_read": t.num(r["rows_read"], 0),
                        "rows_excluded": t.num(r["rows_excluded"], 0),
                        "rows_used": t.num(r["rows_used"], 0)}
                       for r in data.rows.to_dict("records")],
        "quality": [{**{k: str(v) for k, v in r.items()}, "rows": t.num(r["rows"], 0)}
                    for r in data.quality.to_dict("records")],
        "methods": _methods(table, names, opts, t), "opts": opts,
        "minutes": sorted(t.minutes),
        "n_tests": n_tests,
        "comparisons": t("comparisons", n=n_tests),
        "units_note": "; ".join(t("p.units_item", metric=s["label"], units=s["units"])
                                for s in sections),
        "tested_rows": t("tested_rows", n=n_tests),
        "by": by_list,
        "version": _version(),
        "fingerprint": data.fingerprint(),
        "rollout": rollout.describe() if lang == "en" else _windows(rollout, t),
        "generated": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "time_line": TIME_LINE,
    }
    return Report(title=title, results=table, context=context, guardrails=guard_table)


def _version() -> str:
    from rollout_metrics import __version__

    return __version__


def timed(quiet: bool = False) -> Progress:
    """A progress printer: one line per step with the elapsed seconds, on stderr."""
    import sys

    start = time.perf_counter()

    def say(msg: str) -> None:
        if not quiet:
            print(f"[{time.perf_counter() - start:6.1f}s] {msg}", file=sys.stderr, flush=True)

    return say
