"""No two texts of a report figure overlap, in either language, at the sizes the report
draws them: tick labels, axis labels, titles, legends, annotations (the period labels of
the over-time plot) and cell texts; every text lies inside its figure, and no label in a plot covers a point
of its lines."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import Bbox

import rollout_metrics as rm
from rollout_metrics import plots
from rollout_metrics.report import builder
from rollout_metrics.report.summary import text_for

ROLLOUT = rm.Rollout("2025-09-01", announced="2025-08-11")
#: Pixels two boxes may share (anti-aliasing of neighbouring glyph boxes).
SLACK = 1.0


@pytest.fixture(scope="module", params=["en", "ru"])
def figures(request: pytest.FixtureRequest, sample: rm.Dataset) -> dict[str, Figure]:
    """The figures of the sample report (``rollout-metrics report --sample``), as drawn."""
    drawn: dict[str, Figure] = {}
    png = builder._png

    def keep(fig: Figure) -> str:
        drawn[f"{request.param}:{len(drawn)}"] = fig
        return png(fig)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(builder, "_png", keep)
        mp.setenv("ROLLOUT_METRICS_PROCESSES", "1")  # every figure drawn here, in order
        rep = rm.build_report(sample, ROLLOUT, by=[["tier"], ["channel"]],
                              lang=request.param, n_resamples=100)
    ids = [f["id"] for f in rep.context["figures"] if "png" in f]
    out = {f"{request.param}:{i}": fig for i, fig in zip(ids, drawn.values(), strict=True)}
    # The report draws the grid and the forest plots in HTML; notebooks draw them with
    # matplotlib (plots.plot_heatmap, plots.plot_forest): checked at the same sizes.
    t = text_for(request.param)
    out[f"{request.param}:heatmap"] = plots.plot_heatmap(rep.results, text=t)
    for m in rep.results["metric"].unique():
        out[f"{request.param}:forest-{m}"] = plots.plot_forest(rep.results, m, text=t)
    return out


def _tick_labels(ax: Axes) -> list[Text]:
    out = []
    for axis in (ax.xaxis, ax.yaxis):
        lo, hi = sorted(axis.get_view_interval())
        pad = (hi - lo) * 1e-9
        for tick in axis.get_major_ticks():
            if lo - pad <= tick.get_loc() <= hi + pad:
                out += [tick.label1, tick.label2]
    return out


def _texts(fig: Figure) -> list[Text]:
    """Every visible, non-empty text of the figure."""
    found: list[Any] = [fig._suptitle] if fig._suptitle is not None else []
    for ax in fig.axes:
        found += _tick_labels(ax)
        found += [ax.xaxis.label, ax.yaxis.label, ax.title, ax._left_title,
                  ax._right_title, *ax.texts]
        legend = ax.get_legend()
        if legend is not None:
            found += legend.get_texts()
    found += fig.texts
    for legend in fig.legends:
        found += [*legend.get_texts(), legend.get_title()]
    unique = {id(t): t for t in found}  # the suptitle is also one of the figure's texts
    return [t for t in unique.values() if t.get_visible() and t.get_text().strip()]


def _box(text: Text, renderer: Any) -> Bbox:
    box = text.get_window_extent(renderer)
    return Bbox.from_extents(box.x0 + SLACK, box.y0 + SLACK, box.x1 - SLACK, box.y1 - SLACK)


def _check(name: str, fig: Figure) -> list[str]:
    FigureCanvasAgg(fig)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    texts = _texts(fig)
    boxes = [_box(t, renderer) for t in texts]
    problems = []
    whole = fig.bbox
    for t, b in zip(texts, boxes, strict=True):
        if b.x0 < whole.x0 or b.y0 < whole.y0 or b.x1 > whole.x1 or b.y1 > whole.y1:
            problems.append(f"{name}: {t.get_text()!r} leaves the figure")
    for (t1, b1), (t2, b2) in itertools.combinations(zip(texts, boxes, strict=True), 2):
        if b1.overlaps(b2):
            problems.append(f"{name}: {t1.get_text()!r} overlaps {t2.get_text()!r}")
    return problems


def _on_data(name: str, fig: Figure) -> list[str]:
    """Texts placed in a plot (annotations) that cover a point of one of its lines."""
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    problems = []
    for ax in fig.axes:
        points = [line.get_transform().transform(line.get_xydata())
                  for line in ax.get_lines()]
        for text in ax.texts:
            box = _box(text, renderer)
            if any(box.count_contains(p) for p in points):
                problems.append(f"{name}: {text.get_text()!r} covers a point of a line")
    return problems


def test_no_text_overlaps_another(figures: dict[str, Figure]) -> None:
    assert len(figures) >= 10
    problems = [p for name, fig in figures.items()
                for p in [*_check(name, fig), *_on_data(name, fig)]]
    assert not problems, "\n".join(problems)


def test_the_check_sees_an_overlap() -> None:
    fig = Figure(figsize=(3, 2), layout="constrained")
    ax = fig.subplots()
    ax.annotate("before 41.0", (0.2, 0.5))
    ax.annotate("after 38.5", (0.25, 0.5))
    assert _check("made", fig) == ["made: 'before 41.0' overlaps 'after 38.5'"]


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize(("metrics", "by"), [(["nps", "csat"], None),
                                             (["nps", "csat", "churn", "complaints"], "tier")])
def test_a_short_grid_keeps_its_colour_bar_label_inside(sample: rm.Dataset, lang: str,
                                                        metrics: list[str], by: str | None
                                                        ) -> None:
    # One or four rows: the colour bar's label is longer than the grid is tall, so it wraps.
    from rollout_metrics import plots
    from rollout_metrics.report.i18n import Text

    table = rm.compare(sample, ROLLOUT, metrics, by=by)
    fig = plots.plot_heatmap(table, text=Text(lang))
    assert _check(f"{lang}:heatmap", fig) == []
