"""Plots: each returns a Figure, draws from small tables, and never touches pyplot state."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import rollout_metrics as rm
from rollout_metrics import plots
from rollout_metrics.plots import churn_survival
from rollout_metrics.stats.trends import metric_over_time, period_values

ROLLOUT = rm.Rollout("2025-09-01", announced="2025-08-11")


@pytest.fixture(scope="module")
def results(sample: rm.Dataset) -> pd.DataFrame:
    return rm.compare(sample, ROLLOUT, ["nps", "churn", "handling_time"], by="tier",
                      n_resamples=200)


def test_over_time_all_metrics_one_panel_each(sample: rm.Dataset) -> None:
    names = ["nps", "csat", "churn", "complaints", "handling_time"]
    fig = plots.plot_over_time(sample, ROLLOUT, names)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == len(names)
    assert plt.get_fignums() == []  # built without pyplot: nothing to close, nothing shown


def test_over_time_overlay_and_segment(sample: rm.Dataset) -> None:
    dates = pd.date_range("2025-06-16", "2025-10-26", freq="7D")
    series = pd.DataFrame({"date": dates, "fitted": 30.0, "counterfactual": 32.0})
    fig = plots.plot_over_time(sample, ROLLOUT, "nps", series=series, segment={"tier": "VIP"})
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert {"fitted", "counterfactual"} <= set(labels)
    assert "tier = VIP" in fig.get_suptitle()


def test_over_time_bad_series_names_missing_columns(sample: rm.Dataset) -> None:
    with pytest.raises(rm.DataValidationError, match=r"missing \['counterfactual'\]"):
        plots.plot_over_time(sample, ROLLOUT, "nps",
                             series=pd.DataFrame({"date": [], "fitted": []}))


def test_unknown_metric_is_a_clear_error(sample: rm.Dataset) -> None:
    with pytest.raises(rm.DataValidationError, match="unknown metric 'ces'"):
        metric_over_time(sample, ROLLOUT, "ces")


def test_weekly_bins_add_up_to_the_period(sample: rm.Dataset) -> None:
    for metric in ("nps", "complaints", "handling_time"):
        weekly = metric_over_time(sample, ROLLOUT, metric).groupby("period")["n"].sum()
        whole = period_values(sample, ROLLOUT, metric).set_index("period")["n"]
        pd.testing.assert_series_equal(weekly.sort_index(), whole.sort_index(),
                                       check_names=False)


def test_period_value_matches_compare(sample: rm.Dataset, results: pd.DataFrame) -> None:
    levels = period_values(sample, ROLLOUT, "nps").set_index("period")["value"]
    row = results[(results.metric == "nps") & (results.segment == "overall")].iloc[0]
    assert levels["before"] == pytest.approx(row["before"])
    assert levels["after"] == pytest.approx(row["after"])


def test_forest_overall_on_top_and_significant_bold(results: pd.DataFrame) -> None:
    fig = plots.plot_forest(results, "nps")
    ticks = fig.axes[0].get_yticklabels()
    assert ticks[0].get_text() == "overall"
    vip = next(t for t in ticks if t.get_text() == "tier: VIP")
    assert vip.get_fontweight() == "bold"  # NPS fell among VIP customers (truth.json)
    # Its colour is its direction for customers (worse: vermillion), as in the report.
    marks = [ln for ln in fig.axes[0].get_lines() if ln.get_marker() == "s"]
    assert marks and {ln.get_markeredgecolor() for ln in marks} == {plots.OKABE_ITO["vermillion"]}
    assert all(ln.get_markeredgecolor() == "0.45"
               for ln in fig.axes[0].get_lines() if ln.get_marker() == "o")


def test_forest_unknown_metric(results: pd.DataFrame) -> None:
    with pytest.raises(rm.DataValidationError, match="no rows for metric 'csat'"):
        plots.plot_forest(results, "csat")


def test_standardized_delta_is_signed_for_customers() -> None:
    t = pd.DataFrame({"metric": ["nps", "churn"], "delta": [2.0, 2.0],
                      "ci_low": [0.0, 0.0], "ci_high": [4.0, 4.0]})
    z = plots.standardized_delta(t)
    # SE = 4 / (2 * 1.959964): a rise in NPS is good, a rise in churn bad.
    assert z.tolist() == pytest.approx([1.959964, -1.959964], rel=1e-6)


def test_heatmap_marks_significant_cells(sample: rm.Dataset, results: pd.DataFrame) -> None:
    fig = plots.plot_heatmap(results)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert any(t.endswith("*") for t in texts)
    # VIP has 749 NPS answers before the change: untested below min_n=800
    small = rm.compare(sample, ROLLOUT, ["nps"], by="tier", min_n=800)
    assert "n/a" in [t.get_text() for t in plots.plot_heatmap(small).axes[0].texts]


def test_handling_ecdf_log_scale_with_quantiles(sample: rm.Dataset) -> None:
    fig = plots.plot_handling_ecdf(sample, ROLLOUT)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert all("median" in t and "p90" in t for t in legend)


def test_churn_survival_curves(sample: rm.Dataset) -> None:
    km = churn_survival(sample, ROLLOUT)
    assert set(km["period"]) == {"before", "transition", "after"}
    assert ((km["ci_low"] <= km["survival"]) & (km["survival"] <= km["ci_high"])).all()
    # Product-limit identity: no churn on a day leaves survival unchanged.
    for _, part in km.groupby("period"):
        s = part["survival"].to_numpy()
        quiet = part["churned"].to_numpy()[1:] == 0
        assert np.allclose(s[1:][quiet], s[:-1][quiet])
    fig = plots.plot_churn_survival(sample, ROLLOUT)
    assert len(fig.axes[0].get_legend().get_texts()) == 3


@pytest.mark.parametrize("name", ["$100% off$", r"Plan $9.99\mo$", "{{7*7}}", "<script>"])
def test_hostile_segment_names_render_in_plots(name: str) -> None:
    rows = pd.DataFrame({
        "metric": ["nps", "nps"], "by": ["plan", "plan"], "segment": ["overall", name],
        "comparison": ["after_vs_before"] * 2, "delta": [1.0, -2.0], "ci_low": [0.0, -3.0],
        "ci_high": [2.0, -1.0], "significant": pd.array([True, True], dtype="boolean"),
        "status": ["ok", "ok"], "p_adjusted": [0.01, 0.01], "units": ["NPS points"] * 2,
        "before": [30.0, 40.0], "after": [31.0, 38.0]})
    for fig in (plots.plot_forest(rows, "nps"), plots.plot_heatmap(rows)):
        fig._repr_png_()  # draws: a $...$ label would raise in mathtext
