"""Figures of a rollout comparison: each function returns a :class:`matplotlib.figure.Figure`.

Figures are built with :class:`~matplotlib.figure.Figure` directly, not through pyplot, so
no backend is chosen at import, nothing is shown, nothing needs closing, and a notebook
displays the returned figure exactly once (through its ``_repr_png_``).  Colours are the Okabe-Ito palette (safe for colour-blind readers)
and every colour is doubled by a line style, marker or label so the figures read in
grayscale: ``before`` solid blue, ``transition`` dotted orange, ``after`` dashed vermillion.

Time series and distributions come from the small per-day tables of
:mod:`rollout_metrics.stats.trends` and :mod:`rollout_metrics.reduce.counts`, never from raw rows;
the churn curves are :func:`rollout_metrics.infer.survival.kaplan_meier` on the per-day table of
:func:`~rollout_metrics.reduce.counts.active_customers` (:func:`churn_survival`).

Examples
--------
>>> import rollout_metrics as rm
>>> data, r = rm.load_sample(), rm.Rollout("2025-09-01", announced="2025-08-11")
>>> fig = plot_over_time(data, r, "nps")
>>> len(fig.axes)
1
"""

from __future__ import annotations

import datetime as dt
import io
import textwrap
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd
from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import FixedLocator, FuncFormatter, ScalarFormatter

from rollout_metrics.errors import DataValidationError
from rollout_metrics.infer.survival import kaplan_meier
from rollout_metrics.load.dataset import Dataset
from rollout_metrics.metrics import REGISTRY
from rollout_metrics.reduce.counts import active_customers, handling_counts
from rollout_metrics.reduce.reduction import Reductions
from rollout_metrics.rollout import Rollout
from rollout_metrics.stats.trends import metric_over_time, period_values

__all__ = [
    "PLOT_TEXT",
    "OverTime",
    "PlotText",
    "churn_survival",
    "draw_over_time",
    "heatmap_cells",
    "heatmap_colours",
    "over_time_frames",
    "plot_churn_survival",
    "plot_forest",
    "plot_handling_ecdf",
    "plot_heatmap",
    "plot_over_time",
]

OKABE_ITO = {
    "black": "#000000", "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7",
}
PERIOD_STYLE = {
    "before": {"color": OKABE_ITO["blue"], "linestyle": "-"},
    "transition": {"color": OKABE_ITO["orange"], "linestyle": ":"},
    "after": {"color": OKABE_ITO["vermillion"], "linestyle": "--"},
}


#: The English words of the figures, by message id (the report's catalogue,
#: :mod:`rollout_metrics.report.i18n`, holds them in every language).
PLOT_TEXT: dict[str, str] = {
    "plot.period.before": "before",
    "plot.period.transition": "transition",
    "plot.period.after": "after",
    "plot.over_time.title": "Metrics over time ({freq}{where}; band: {level} CI)",
    "plot.over_time.weekly": "weekly",
    "plot.over_time.daily": "daily",
    "plot.fitted": "fitted",
    "plot.counterfactual": "counterfactual",
    "plot.its_band": "without the change: pre-period trend extended (ITS, {level} band)",
    "plot.overall": "overall",
    "plot.forest.xlabel": "delta, after − before ({units})",
    "plot.forest.title": "{metric}: {comparison}\n(bold/filled: significant after correction)",
    "plot.heatmap.colorbar": "standardized delta (+ better for customers)",
    "plot.heatmap.title": "{comparison}: delta in each metric's units "
                          "(* = significant after correction)",
    "plot.heatmap.trend": "† = significant, but a trend that started before the change "
                          "explains it",
    "plot.na": "n/a",
    "plot.other_cell": "{n} sig.",
    "plot.ecdf.label": "{period}: n={n}, median {median} h, p90 {p90} h",
    "plot.ecdf.xlabel": "{measure} time (hours, log scale)",
    "plot.ecdf.ylabel": "share of tickets handled",
    "plot.ecdf.title": "Handling time: ECDF by period (circle: median, diamond: p90)",
    "plot.km.label": "{period} ({n} churned)",
    "plot.km.xlabel": "days since the start of the window",
    "plot.km.ylabel": "share still a customer",
    "plot.km.title": "Churn: Kaplan-Meier by period ({level} band)",
}


class PlotText(Protocol):
    """The words and number formats of a figure (the report passes its language's,
    :class:`rollout_metrics.report.i18n.Text`; without one the figures are in English)."""

    def __call__(self, key: str, /, **values: Any) -> str: ...
    def num(self, value: Any, digits: int = 1, *, sign: bool = False) -> str: ...
    def level(self, alpha: float) -> str: ...
    def date(self, value: dt.date, skeleton: str = "yMMMd") -> str: ...
    def label(self, name: str) -> str: ...
    def short_label(self, name: str) -> str: ...
    def units(self, name: str) -> str: ...
    def comparison(self, comparison: str) -> str: ...
    def status(self, status: str) -> str: ...


class _English:
    """The default :class:`PlotText`: English, the registry's labels."""

    def __call__(self, key: str, /, **values: Any) -> str:
        return PLOT_TEXT[key].format(**values)

    def num(self, value: Any, digits: int = 1, *, sign: bool = False) -> str:
        return f"{float(value):{'+' if sign else ''},.{digits}f}"

    def level(self, alpha: float) -> str:
        return f"{1 - alpha:.0%}"

    def date(self, value: dt.date, skeleton: str = "yMMMd") -> str:
        return value.strftime("%b %d")

    def label(self, name: str) -> str:
        spec = REGISTRY.get(name)
        return spec.label if spec is not None else name

    def short_label(self, name: str) -> str:
        return self.label(name).split(" (")[0]

    def units(self, name: str) -> str:
        spec = REGISTRY.get(name)
        return spec.units if spec is not None else ""

    def comparison(self, comparison: str) -> str:
        return comparison.replace("_", " ")

    def status(self, status: str) -> str:
        return status


def _text(text: PlotText | None) -> PlotText:
    return _English() if text is None else text


def _metric_label(metric: str, text: PlotText | None = None) -> str:
    """The label of ``metric`` (the registry's; its name for an unknown one)."""
    return plain(_text(text).label(metric))


def _direction(metric: str) -> int:
    """+1: higher is better for customers; -1: higher is worse (heatmap colours)."""
    spec = REGISTRY.get(metric)
    return spec.direction if spec is not None else 1


class _Figure(Figure):
    """A Figure that shows itself in notebooks whatever the backend (it has no pyplot manager)."""

    def _repr_png_(self) -> bytes:
        buf = io.BytesIO()
        self.savefig(buf, format="png", metadata={"Software": None})
        return buf.getvalue()


def _figure(width: float, height: float) -> Figure:
    return _Figure(figsize=(width, height), dpi=100, layout="constrained")


def plot_over_time(
    data: Dataset | Reductions, rollout: Rollout, metrics: str | Sequence[str] = "nps", *,
    freq: str = "W", segment: Mapping[str, str] | None = None,
    series: pd.DataFrame | None = None, alpha: float = 0.05, text: PlotText | None = None,
    scale: Mapping[str, float] | None = None,
    counterfactual: Mapping[str, pd.DataFrame] | None = None,
) -> Figure:
    """Each metric over time, one panel per metric, with the rollout dates marked.

    Draws the weekly (or daily) value with its ``1 - alpha`` band (see
    :func:`rollout_metrics.stats.trends.metric_over_time`), the level of each whole period as
    a horizontal line, the announcement (dotted) and change date (solid) as vertical lines
    and the transition window shaded.

    Parameters
    ----------
    data, rollout, metrics
        The dataset, the rollout and one metric name or a list of them.
    freq
        ``"W"`` or ``"D"``.
    segment
        Restrict to one segment, e.g. ``{"tier": "VIP"}``.
    series
        Optional model overlay for a single metric, e.g. an interrupted-time-series fit:
        columns ``date``, ``fitted``, ``counterfactual`` in the metric's units.
    text
        The words and number formats (default: English, see :class:`PlotText`).
    scale
        A factor per metric from the results' units to the shown ones (a time shown in
        minutes: 60); the axis label comes from ``text``.
    counterfactual
        Per metric, an interrupted-time-series curve (``ItsResult.series``: ``date,
        counterfactual, ci_low, ci_high, period`` in the results' units): from the
        announcement (or change) on, its counterfactual - the pre-period level and trend
        extended - is drawn with its band, averaged over the plot's weeks (or days).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import rollout_metrics as rm
    >>> fig = plot_over_time(rm.load_sample(), rm.Rollout("2025-09-01"), ["nps", "churn"])
    >>> [ax.get_ylabel() for ax in fig.axes]
    ['NPS (NPS points)', 'Churn (% per 30\\ncustomer-days)']
    """
    names = [metrics] if isinstance(metrics, str) else list(metrics)
    if series is not None:
        missing = {"date", "fitted", "counterfactual"} - set(series.columns)
        if missing:
            raise DataValidationError(
                f"series needs columns date, fitted, counterfactual; missing {sorted(missing)}; "
                f"available: {list(series.columns)}")
        if len(names) != 1:
            raise DataValidationError("series overlays one metric: pass a single metric")
    frames = over_time_frames(data, rollout, names, freq=freq, segment=segment, alpha=alpha,
                              scale=scale)
    return draw_over_time(frames, rollout, series=series, text=text,
                          counterfactual=counterfactual)


@dataclass(frozen=True)
class OverTime:
    """What :func:`plot_over_time` shows, read from the data: per metric the binned values
    (:func:`~rollout_metrics.stats.trends.metric_over_time`) and each period's level
    (:func:`~rollout_metrics.stats.trends.period_values`), in the shown units, with the
    choices they were read with (the drawing's title and bands follow them)."""

    panels: dict[str, tuple[pd.DataFrame, pd.DataFrame]]
    freq: str = "W"
    segment: Mapping[str, str] | None = None
    alpha: float = 0.05
    scale: Mapping[str, float] = field(default_factory=dict)


def over_time_frames(
    data: Dataset | Reductions, rollout: Rollout, metrics: Sequence[str], *,
    freq: str = "W", segment: Mapping[str, str] | None = None, alpha: float = 0.05,
    scale: Mapping[str, float] | None = None,
) -> OverTime:
    """The data of :func:`plot_over_time`'s panels, read from ``data`` (the drawing,
    :func:`draw_over_time`, reads nothing more: the report draws it in another process).

    Examples
    --------
    >>> import rollout_metrics as rm
    >>> frames = over_time_frames(rm.load_sample(), rm.Rollout("2025-09-01"), ["nps"])
    >>> values, levels = frames.panels["nps"]
    >>> levels["period"].tolist()
    ['before', 'after']
    """
    panels = {}
    for metric in metrics:
        t = metric_over_time(data, rollout, metric, freq=freq, segment=segment, alpha=alpha)
        levels = period_values(data, rollout, metric, segment=segment, alpha=alpha)
        f = (scale or {}).get(metric, 1.0)
        if f != 1.0:
            t = t.assign(**{c: t[c] * f for c in ("value", "ci_low", "ci_high")})
            levels = levels.assign(value=levels["value"] * f)
        panels[metric] = (t, levels)
    return OverTime(panels, freq, segment, alpha, dict(scale or {}))


def draw_over_time(
    frames: OverTime, rollout: Rollout, *, series: pd.DataFrame | None = None,
    text: PlotText | None = None, counterfactual: Mapping[str, pd.DataFrame] | None = None,
) -> Figure:
    """:func:`plot_over_time`'s figure from :func:`over_time_frames` (the other arguments
    as there).

    Examples
    --------
    >>> import rollout_metrics as rm
    >>> r = rm.Rollout("2025-09-01")
    >>> fig = draw_over_time(over_time_frames(rm.load_sample(), r, ["nps"]), r)
    >>> [ax.get_ylabel() for ax in fig.axes]
    ['NPS (NPS points)']
    """
    names = list(frames.panels)
    freq, segment, alpha = frames.freq, frames.segment, frames.alpha
    tx = _text(text)
    fig = _figure(9, 2.6 * len(names) + 0.4)
    axes = fig.subplots(len(names), 1, sharex=True, squeeze=False)[:, 0]
    for ax, metric in zip(axes, names, strict=True):
        t, levels = frames.panels[metric]
        f = frames.scale.get(metric, 1.0)
        mid = t["start"] + (t["end"] - t["start"]) / 2
        labels: list[tuple[str, str, Any]] = []
        for period, style in PERIOD_STYLE.items():
            rows = t["period"] == period
            if not rows.any():
                continue
            ax.fill_between(mid[rows], t.loc[rows, "ci_low"], t.loc[rows, "ci_high"],
                            color=style["color"], alpha=0.18, linewidth=0)
            name = tx(f"plot.period.{period}")
            ax.plot(mid[rows], t.loc[rows, "value"], marker="o", markersize=3,
                    label=name, **style)
            lv = levels[levels["period"] == period].iloc[0]
            ax.hlines(lv["value"], lv["start"], lv["end"], color=style["color"],
                      linewidth=2.5, alpha=0.9)
            labels.append((period, f"{name} {tx.num(lv['value'])}", lv["start"]))
        _mark_dates(ax, rollout)
        curve = (counterfactual or {}).get(metric)
        if curve is not None and not curve.empty:
            _draw_counterfactual(ax, t, curve, f, tx("plot.its_band", level=tx.level(alpha)))
        if series is not None:
            s = series.sort_values("date")
            ax.plot(pd.to_datetime(s["date"]), s["fitted"], color=OKABE_ITO["black"],
                    linewidth=1.2, label=tx("plot.fitted"))
            ax.plot(pd.to_datetime(s["date"]), s["counterfactual"], color=OKABE_ITO["black"],
                    linewidth=1.2, linestyle="-.", label=tx("plot.counterfactual"))
        ax.set_ylabel(_axis_label(metric, tx))
        _number_axis(ax.yaxis, text)
        ax.grid(axis="y", alpha=0.3)
        _period_labels(ax, labels)
    if text is None:
        locator = mdates.AutoDateLocator()  # type: ignore[no-untyped-call]
        axes[-1].xaxis.set_major_locator(locator)
        axes[-1].xaxis.set_major_formatter(
            mdates.ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    else:  # month starts, named once in the language (no date rules run at each draw)
        ticks = _month_ticks(axes[-1].get_xlim())
        axes[-1].xaxis.set_major_locator(FixedLocator(list(ticks)))
        axes[-1].xaxis.set_major_formatter(FuncFormatter(
            lambda x, _pos: ticks.get(x) or tx.date(
                mdates.num2date(x).date(), "MMMd")))  # type: ignore[no-untyped-call]
        for x in ticks:
            ticks[x] = tx.date(mdates.num2date(x).date(), "MMMd")  # type: ignore[no-untyped-call]
    # Below the panels, not over the data.
    handles, names_shown = axes[0].get_legend_handles_labels()
    fig.legend(handles, names_shown, loc="outside lower center", fontsize=8,
               ncols=min(len(handles), 4), frameon=False)
    what = tx("plot.over_time.weekly" if freq == "W" else "plot.over_time.daily")
    where = plain(", ".join(f"{k} = {v}" for k, v in (segment or {}).items()))
    fig.suptitle(tx("plot.over_time.title", freq=what, where="; " + where if where else "",
                    level=tx.level(alpha)), fontsize=10)
    return fig


#: Headroom above the data of an over-time panel, as a share of its data range: the
#: period labels sit there, clear of the lines and bands.
LABEL_ROOM = 0.3


def _period_labels(ax: Axes, labels: list[tuple[str, str, Any]]) -> None:
    """Each period's level (``before 34.6``) at the top of the panel, from the period's
    start, in the headroom added above the data; the transition's a line lower, so a
    short transition window never puts two labels side by side."""
    lo, hi = ax.get_ylim()
    ax.set_ylim(lo, hi + LABEL_ROOM * (hi - lo))
    for period, label, start in labels:
        y = 0.96 if period != "transition" else 0.86
        ax.annotate(label, (mdates.date2num(start), y),  # type: ignore[no-untyped-call]
                    xycoords=("data", "axes fraction"), xytext=(3, 0),
                    textcoords="offset points", va="top", fontsize=8,
                    color=PERIOD_STYLE[period]["color"])


def _month_ticks(limits: tuple[float, float]) -> dict[float, str]:
    """The first days of the months between ``limits`` (matplotlib date numbers), the
    15th too when that gives fewer than four ticks; their labels are filled in later."""
    lo, hi = (pd.Timestamp(mdates.num2date(x)).tz_localize(None)  # type: ignore[no-untyped-call]
              for x in limits)
    days = pd.date_range(lo.normalize(), hi, freq="MS")
    if len(days) < 4:
        days = pd.date_range(lo.normalize(), hi, freq="SMS")
    return {float(mdates.date2num(d.to_pydatetime())): "" for d in days}  # type: ignore[no-untyped-call]


def _axis_label(metric: str, tx: PlotText) -> str:
    """The metric's label with its units (``NPS (NPS points)``), on two lines when long."""
    label = plain(tx.label(metric))
    if "(" not in label and tx.units(metric):
        label = f"{label} ({plain(tx.units(metric))})"
    return ("\n".join(textwrap.wrap(label, 26, break_on_hyphens=False)) if len(label) > 26
            else label)


def _naive(x: pd.Series) -> pd.Series:
    x = pd.to_datetime(x)
    return x.dt.tz_localize(None) if x.dt.tz is not None else x


def _draw_counterfactual(ax: Axes, bins: pd.DataFrame, curve: pd.DataFrame, factor: float,
                         label: str) -> None:
    """The ITS counterfactual and its band, from the announcement (or change) on, as the
    mean over each of the plot's bins (weeks or days) of the daily curve."""
    post = curve[curve["period"] != "before"]
    days = _naive(post["date"])
    start, end = _naive(bins["start"]), _naive(bins["end"])
    rows = []
    for lo, hi in zip(start, end, strict=True):
        inside = (days >= lo) & (days < hi)
        if inside.any():
            part = post.loc[inside.to_numpy()]
            rows.append((lo + (hi - lo) / 2, *(float(part[c].mean()) * factor
                                              for c in ("counterfactual", "ci_low",
                                                        "ci_high"))))
    if not rows:
        return
    frame = pd.DataFrame(rows, columns=["mid", "value", "low", "high"])
    ax.fill_between(frame["mid"], frame["low"], frame["high"], facecolor="none",
                    edgecolor="0.45", hatch="///", linewidth=0, alpha=0.6)
    ax.plot(frame["mid"], frame["value"], color=OKABE_ITO["black"], linewidth=1.3,
            linestyle="-.", label=label)


class _Localized(ScalarFormatter):
    """Tick labels with matplotlib's choice of decimals, in the language's number format."""

    def __init__(self, text: PlotText) -> None:
        super().__init__(useOffset=False)
        self._text = text

    def __call__(self, x: float, pos: int | None = None) -> str:
        shown = super().__call__(x, pos)
        if "e" in shown.lower():
            return shown
        digits = len(shown.split(".")[1]) if "." in shown else 0
        return self._text.num(x, digits)


def _number_axis(axis: Any, text: PlotText | None) -> None:
    """Tick labels in the language's number format (the default ones are English)."""
    if text is not None:
        axis.set_major_formatter(_Localized(text))


def _mark_dates(ax: Axes, rollout: Rollout) -> None:
    w = rollout.windows()
    change = float(mdates.date2num(  # type: ignore[no-untyped-call]
        w["after"][0] - dt.timedelta(days=rollout.washout_days)))
    ax.axvline(change, color=OKABE_ITO["black"], linewidth=1.2)
    if "transition" in w:
        start, end = (float(mdates.date2num(x))  # type: ignore[no-untyped-call]
                      for x in w["transition"])
        ax.axvspan(start, end, color="0.85", alpha=0.5, linewidth=0)
        ax.axvline(start, color=OKABE_ITO["black"], linewidth=1.0, linestyle=":")


def _rows_for(results: pd.DataFrame, metric: str, comparison: str) -> pd.DataFrame:
    rows = results[(results["metric"] == metric) & (results["comparison"] == comparison)]
    if rows.empty:
        raise DataValidationError(
            f"no rows for metric {metric!r} and comparison {comparison!r}; metrics in the "
            f"table: {sorted(results['metric'].unique())}")
    overall = rows[rows["segment"] == "overall"].head(1)
    return pd.concat([overall, rows[rows["segment"] != "overall"]])


def plain(text: Any) -> str:
    """Data text for a plot label: ``$`` escaped, so matplotlib never reads it as maths
    (``$100% off$`` is a segment name, not TeX)."""
    return str(text).replace("$", r"\$")


def _grouped(row: pd.Series) -> bool:
    """A line that stands for many small segments (the report's grouped segments)."""
    return bool(row.get("status") == "grouped")


def _row_label(row: pd.Series, text: PlotText | None = None, *, escaped: bool = True) -> str:
    """A row's segment as a figure names it (``tier: VIP``); ``escaped``: ``$`` escaped for
    matplotlib (:func:`plain`), else as the data has it (for HTML)."""
    if row["segment"] == "overall":
        return _text(text)("plot.overall")
    label = (f"{row['by']}: {row['label_line']}" if _grouped(row)
             else f"{row['by']}: {row['segment']}" if row["by"] else str(row["segment"]))
    return plain(label) if escaped else label


def plot_forest(results: pd.DataFrame, metric: str, comparison: str = "after_vs_before", *,
                text: PlotText | None = None) -> Figure:
    """Forest plot of one metric's deltas with confidence intervals, overall row on top.

    Significant rows (after the multiple-comparison correction) are drawn with a filled
    square in the colour of their direction for customers (vermillion: worse, blue: better;
    the registry's ``direction``) and a bold label, as the report's forest plots; other
    tested rows with an open grey circle; untested rows (``insufficient_data``) are listed
    with their status and no interval.

    Parameters
    ----------
    results
        The table returned by :func:`rollout_metrics.compare` (or a report's results).
    metric, comparison
        Which rows to draw.

    Examples
    --------
    >>> import rollout_metrics as rm
    >>> t = rm.compare(rm.load_sample(), rm.Rollout("2025-09-01"), ["nps"], by="tier")
    >>> fig = plot_forest(t, "nps")
    >>> fig.axes[0].get_yticklabels()[0].get_text()
    'overall'
    """
    rows = _rows_for(results, metric, comparison).reset_index(drop=True)
    tx = _text(text)
    fig = _figure(7, 0.35 * len(rows) + 1.3)
    ax = fig.subplots()
    y = -np.arange(len(rows), dtype=float)
    for i, row in rows.iterrows():
        yi = y[int(str(i))]
        sig = row["significant"]
        if _grouped(row):
            ax.annotate(tx("plot.other_cell", n=tx.num(row["n_significant"], 0)), (0, yi),
                        xytext=(6, -3), textcoords="offset points", fontsize=7, color="0.3")
            continue
        if pd.isna(sig):
            ax.plot(row["delta"], yi, marker="x", color="0.4", linestyle="none")
            ax.annotate(plain(tx.status(row["status"])), (row["delta"], yi), xytext=(6, -3),
                        textcoords="offset points", fontsize=7, color="0.3")
            continue
        worse = float(row["delta"]) * _direction(metric) < 0
        colour = (OKABE_ITO["vermillion"] if worse else OKABE_ITO["blue"]) if sig else "0.45"
        ax.plot([row["ci_low"], row["ci_high"]], [yi, yi], color=colour,
                linewidth=2.2 if sig else 1.2)
        ax.plot(row["delta"], yi, marker="s" if sig else "o", markersize=7,
                markerfacecolor=colour if sig else "white", markeredgecolor=colour,
                linestyle="none")
    ax.axvline(0, color=OKABE_ITO["black"], linewidth=0.8)
    ax.set_yticks(y, [_row_label(r, text) for _, r in rows.iterrows()])
    for tick, (_, row) in zip(ax.get_yticklabels(), rows.iterrows(), strict=True):
        if row["significant"] is True or (not pd.isna(row["significant"])
                                          and bool(row["significant"])):
            tick.set_fontweight("bold")
    if len(rows) > 1:
        ax.axhline(-0.5, color="0.6", linewidth=0.6)
    units = tx.units(metric) if text is not None else rows["units"].iloc[0]
    ax.set_xlabel(tx("plot.forest.xlabel", units=units))
    _number_axis(ax.xaxis, text)
    # Two lines: long metric labels (complaints) would be clipped on one.
    ax.set_title(tx("plot.forest.title", metric=_metric_label(metric, text),
                    comparison=tx.comparison(comparison)), fontsize=9)
    ax.grid(axis="x", alpha=0.3)
    return fig


def standardized_delta(results: pd.DataFrame, alpha: float = 0.05) -> pd.Series:
    """``delta / SE`` with SE recovered from the CI width: (ci_high − ci_low) / (2 z).

    Comparable across metrics with different units (NPS has no relative delta); signed so
    that positive means *better for customers* (higher NPS/CSAT, lower churn, complaints
    and handling time).
    """
    from scipy import special

    z = float(special.ndtri(1 - alpha / 2))
    se = (results["ci_high"] - results["ci_low"]) / (2 * z)
    sign = results["metric"].map(_direction)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (sign * results["delta"] / se.where(se > 0)).astype(float)


#: The heatmap's colours: the standardized delta on a purple (better for customers) to
#: orange (worse) scale, clipped at ± this; a cell's text is white beyond ``HEATMAP_DARK``.
HEATMAP_CMAP, HEATMAP_LIMIT, HEATMAP_DARK = "PuOr", 4.0, 2.5


def heatmap_colours(z: float) -> tuple[str, str]:
    """A heatmap cell's fill and text colour (``#rrggbb``) for its standardized delta ``z``
    (:func:`standardized_delta`, clipped to ±4; positive is better for customers), as
    :func:`plot_heatmap` draws it; a missing ``z`` is light grey.

    Examples
    --------
    >>> heatmap_colours(0.0)
    ('#f6f6f7', '#000000')
    >>> heatmap_colours(-4.0), heatmap_colours(float("nan"))
    (('#7f3b08', '#ffffff'), ('#e6e6e6', '#000000'))
    """
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    if pd.isna(z):
        return "#e6e6e6", "#000000"
    clipped = min(max(float(z), -HEATMAP_LIMIT), HEATMAP_LIMIT)
    fill = to_hex(colormaps[HEATMAP_CMAP]((clipped + HEATMAP_LIMIT) / (2 * HEATMAP_LIMIT)))
    return fill, "#ffffff" if abs(clipped) > HEATMAP_DARK else "#000000"


def heatmap_cells(results: pd.DataFrame, comparison: str = "after_vs_before", *,
                  trend: Collection[str] = (), text: PlotText | None = None,
                  alpha: float = 0.05) -> pd.DataFrame:
    """The cells of :func:`plot_heatmap`: one row per metric and segment with its text.

    ``label`` is the row's segment as the figure draws it (``$`` escaped for matplotlib),
    ``name`` the same as text.  ``z`` is the cell's colour, the standardized delta
    (:func:`standardized_delta` at ``alpha``, clipped to ±4; missing where there is no
    interval).  ``mark`` is ``*`` for a significant change, ``†`` for a significant overall
    change of a metric in ``trend`` (one the pre-existing trend explains or reverses, so the
    report calls it no clear change), ``na`` for an untested row, ``other`` for a line of
    grouped segments (``status == "grouped"``: its text counts their significant changes)
    and empty otherwise; ``text`` is the delta as the cell shows it.

    Examples
    --------
    >>> import rollout_metrics as rm
    >>> r = rm.Rollout("2025-09-01", announced="2025-08-11")
    >>> t = rm.compare(rm.load_sample(), r, ["csat"], by="tier")
    >>> heatmap_cells(t, trend={"csat"})[["segment", "mark", "text"]].values.tolist()
    [['overall', '†', '-3.5†'], ['VIP', '', '-2.4'], ['new', '*', '-5.4*'], ['regular', '*', '-3.0*']]
    """
    rows = results[results["comparison"] == comparison].copy()
    if rows.empty:
        raise DataValidationError(f"no rows for comparison {comparison!r}")
    tx = _text(text)
    rows["label"] = [_row_label(r, text) for _, r in rows.iterrows()]
    rows["name"] = [_row_label(r, text, escaped=False) for _, r in rows.iterrows()]
    rows = rows.drop_duplicates(["metric", "label"])
    marks, texts = [], []
    for _, r in rows.iterrows():
        sig = r["significant"]
        if _grouped(r):
            marks.append("other")
            texts.append(tx("plot.other_cell", n=tx.num(r["n_significant"], 0)))
            continue
        if pd.isna(sig):
            mark = "na"
        elif bool(sig):
            mark = "†" if r["segment"] == "overall" and r["metric"] in trend else "*"
        else:
            mark = ""
        marks.append(mark)
        texts.append(tx("plot.na") if mark == "na"
                     else f"{tx.num(r['delta'], sign=True)}{mark}")
    rows["mark"], rows["text"] = marks, texts
    rows["z"] = standardized_delta(rows, alpha).clip(-HEATMAP_LIMIT, HEATMAP_LIMIT)
    return rows.reset_index(drop=True)


def plot_heatmap(results: pd.DataFrame, comparison: str = "after_vs_before", *,
                 alpha: float = 0.05, text: PlotText | None = None,
                 trend: Collection[str] = ()) -> Figure:
    """Heatmap of segment × metric changes, coloured by direction for customers.

    The colour is the standardized delta (:func:`standardized_delta`, clipped to ±4):
    purple = better for customers, orange = worse, so metrics in different units share one
    scale.  Each cell is annotated with the raw delta in the metric's units (a ``*``
    and a thick black frame mark significance after correction, ``n/a`` an untested
    cell) so the figure also reads in grayscale.  The overall cell of a metric in
    ``trend`` (its change explained by a pre-existing trend) has ``†`` and a dashed frame
    instead (:func:`heatmap_cells`).

    Examples
    --------
    >>> import rollout_metrics as rm
    >>> t = rm.compare(rm.load_sample(), rm.Rollout("2025-09-01"), ["nps", "csat"], by="tier")
    >>> plot_heatmap(t).axes[0].get_xticklabels()[0].get_text()
    'NPS'
    """
    tx = _text(text)
    rows = heatmap_cells(results, comparison, trend=trend, text=text, alpha=alpha)
    metrics = list(dict.fromkeys(rows["metric"]))
    labels = list(dict.fromkeys([tx("plot.overall"), *rows["label"]]))
    z = rows.pivot(index="label", columns="metric", values="z").reindex(
        index=labels, columns=metrics)
    height = 0.38 * len(labels) + 1.6
    fig = _figure(1.5 * len(metrics) + 3, height)
    ax = fig.subplots()
    mesh = ax.pcolormesh(np.ma.masked_invalid(z.to_numpy(float)), cmap=HEATMAP_CMAP,
                         vmin=-HEATMAP_LIMIT, vmax=HEATMAP_LIMIT, edgecolors="white",
                         linewidth=0.5)
    # The colour bar is as tall as the grid (the figure less about an inch of title and
    # column names); its label wraps to that length, at about 5.6 pt a character at 10 pt.
    fits = max(12, int((height - 1.1) * 72 / 5.6))
    bar = fig.colorbar(mesh, ax=ax, label="\n".join(textwrap.wrap(
        tx("plot.heatmap.colorbar"), fits, break_on_hyphens=False, break_long_words=False)))
    _number_axis(bar.ax.yaxis, text)
    ax.set_xlim(0, len(metrics))
    ax.set_ylim(len(labels), 0)  # first row on top
    ax.set_xticks(np.arange(len(metrics)) + 0.5)
    ax.set_yticks(np.arange(len(labels)) + 0.5, labels)
    ax.tick_params(length=0)
    ax.set_facecolor("0.9")  # cells without a value
    for _, r in rows.iterrows():
        i, j = labels.index(r["label"]), metrics.index(r["metric"])
        ax.text(j + 0.5, i + 0.5, r["text"], ha="center", va="center", fontsize=8,
                color=heatmap_colours(r["z"])[1],
                fontweight="bold" if r["mark"] == "*" else None)
        if r["mark"] in ("*", "†"):
            ax.add_patch(Rectangle((j + 0.04, i + 0.04), 0.92, 0.92, fill=False,
                                   edgecolor="black" if r["mark"] == "*" else "0.35",
                                   linewidth=2 if r["mark"] == "*" else 1.5,
                                   linestyle="-" if r["mark"] == "*" else "--"))
    # Long names (Russian ones) on two lines, so neighbouring columns never touch.
    ax.set_xticklabels(["\n".join(textwrap.wrap(plain(tx.short_label(m)), 13,
                                                break_on_hyphens=False,
                                                break_long_words=False))
                        for m in metrics], rotation=0)
    ax.set_xlabel("")
    ax.set_ylabel("")
    title = tx("plot.heatmap.title", comparison=tx.comparison(comparison))
    if (rows["mark"] == "†").any():
        title += "\n" + tx("plot.heatmap.trend")
    ax.set_title(title, fontsize=9)
    return fig


def plot_handling_ecdf(data: Dataset | Reductions, rollout: Rollout, *,
                       measure: str = "resolution", text: PlotText | None = None) -> Figure:
    """Handling-time ECDFs per period on a log scale, with the median and p90 marked.

    Built from :func:`rollout_metrics.reduce.counts.handling_counts` (tickets per whole minute
    and period); open tickets have no handling time and are left out of the curves (the
    comparison flags them as ``censoring``).

    Examples
    --------
    >>> import rollout_metrics as rm
    >>> fig = plot_handling_ecdf(rm.load_sample(), rm.Rollout("2025-09-01"))
    >>> fig.axes[0].get_xscale()
    'log'
    """
    counts = handling_counts(data, rollout, [], measure=measure)
    counts = counts[counts["minutes"].notna()]
    tx = _text(text)
    fig = _figure(8, 4)
    ax = fig.subplots()
    for period, style in PERIOD_STYLE.items():
        part = counts[counts["period"] == period].sort_values("minutes")
        if part.empty:
            continue
        hours = np.maximum(part["minutes"].to_numpy(float), 1.0) / 60.0
        cum = np.cumsum(part["tickets"].to_numpy(float))
        cdf = cum / cum[-1]
        marks = {q: hours[np.searchsorted(cdf, q)] for q in (0.5, 0.9)}
        ax.step(hours, cdf, where="post", linewidth=1.6,
                label=tx("plot.ecdf.label", period=tx(f"plot.period.{period}"),
                         n=tx.num(cum[-1], 0), median=tx.num(marks[0.5]),
                         p90=tx.num(marks[0.9])),
                color=style["color"], linestyle=style["linestyle"])
        for q, marker in ((0.5, "o"), (0.9, "D")):
            ax.plot(marks[q], q, marker=marker, color=style["color"], markersize=7,
                    markerfacecolor="white", linestyle="none")
    ax.set_xscale("log")
    ax.set_xlabel(tx("plot.ecdf.xlabel", measure=measure.replace("_", " ")))
    ax.set_ylabel(tx("plot.ecdf.ylabel"))
    _number_axis(ax.yaxis, text)
    if text is not None:
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: tx.num(x, 0 if x >= 1
                                                                             else 1)))
    ax.axhline(0.5, color="0.7", linewidth=0.6)
    ax.axhline(0.9, color="0.7", linewidth=0.6)
    # Lower right: empty under the curves' upper tails, clear of the median and p90 lines.
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    ax.grid(alpha=0.3)
    ax.set_title(tx("plot.ecdf.title"), fontsize=9)
    return fig


def churn_survival(data: Dataset | Reductions, rollout: Rollout, *, alpha: float = 0.05) -> pd.DataFrame:
    """Kaplan-Meier share of customers not yet churned, by days since each window start.

    At risk on day d of a window: customers who signed up on or before d (those from before
    the window from day 0) and had not churned before d, so the day's churners are in that
    day's risk set; as :func:`~rollout_metrics.reduce.counts.active_customers` counts
    ``active`` on day d as signup <= d < churn (the day's sign-ups in, its churners out),
    ``at_risk = active + churned``.  Customers still there at the end of the window are
    censored on its last day.  The curve and its band (Greenwood variance on the log-log
    scale, pointwise ``1 - alpha``) are :func:`rollout_metrics.infer.survival.kaplan_meier`
    with delayed entry on that per-day table.

    Returns
    -------
    pandas.DataFrame
        ``period, day, at_risk, churned, survival, ci_low, ci_high``; ``day`` 0 is the
        first day of the window.  A window without customers has no rows.

    Examples
    --------
    >>> import rollout_metrics as rm
    >>> km = churn_survival(rm.load_sample(), rm.Rollout("2025-09-01"))
    >>> bool(km.groupby("period")["survival"].is_monotonic_decreasing.all())
    True
    """
    parts = []
    for period, (start, end) in rollout.windows().items():
        t = active_customers(data, None, [], start=start, end=end)
        if t.empty:  # nobody in the window
            continue
        churned, active = t["churned"].to_numpy(float), t["active"].to_numpy(float)
        # sign-ups of the day (day 0: also everybody from before the window)
        entered = active + churned - np.concatenate([[0.0], active[:-1]])
        censored = np.zeros_like(churned)
        censored[-1] = active[-1]
        km = kaplan_meier(t["day"], churned, censored, entered_at=entered, alpha=alpha)
        parts.append(pd.DataFrame({
            "period": period, "day": t["day"].to_numpy(), "at_risk": km["at_risk"].to_numpy(),
            "churned": churned, "survival": km["survival"].to_numpy(),
            "ci_low": km["ci_low"].to_numpy(), "ci_high": km["ci_high"].to_numpy(),
        }))
    columns = ["period", "day", "at_risk", "churned", "survival", "ci_low", "ci_high"]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


def plot_churn_survival(data: Dataset | Reductions, rollout: Rollout, *, alpha: float = 0.05,
                        text: PlotText | None = None) -> Figure:
    """Kaplan-Meier curves of staying a customer, per period, with ``1 - alpha`` bands.

    See :func:`churn_survival` (days since each window start, delayed entry for customers
    who sign up during the window).

    Examples
    --------
    >>> import rollout_metrics as rm
    >>> fig = plot_churn_survival(rm.load_sample(), rm.Rollout("2025-09-01"))
    >>> fig.axes[0].get_xlabel()
    'days since the start of the window'
    """
    km = churn_survival(data, rollout, alpha=alpha)
    tx = _text(text)
    fig = _figure(8, 4)
    ax = fig.subplots()
    for period, style in PERIOD_STYLE.items():
        part = km[km["period"] == period]
        if part.empty:
            continue
        days = np.concatenate([[0], part["day"].to_numpy() + 1])
        surv = np.concatenate([[1.0], part["survival"].to_numpy()])
        low = np.concatenate([[1.0], part["ci_low"].to_numpy()])
        high = np.concatenate([[1.0], part["ci_high"].to_numpy()])
        ax.fill_between(days, low, high, step="post", color=style["color"], alpha=0.15,
                        linewidth=0)
        ax.step(days, surv, where="post", linewidth=1.6,
                label=tx("plot.km.label", period=tx(f"plot.period.{period}"),
                         n=tx.num(part["churned"].sum(), 0)),
                color=style["color"], linestyle=style["linestyle"])
    ax.set_xlabel(tx("plot.km.xlabel"))
    ax.set_ylabel(tx("plot.km.ylabel"))
    _number_axis(ax.yaxis, text)
    _number_axis(ax.xaxis, text)
    ax.legend(loc="lower left", fontsize=8, frameon=False)
    ax.grid(alpha=0.3)
    ax.set_title(tx("plot.km.title", level=tx.level(alpha)), fontsize=9)
    return fig
