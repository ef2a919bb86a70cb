"""The report's trend check sets the naive change beside the interrupted time series."""

from __future__ import annotations

import pandas as pd
import pytest

import rollout_metrics as rm
from rollout_metrics.report.trend import _verdict, trend_check

ROLLOUT = rm.Rollout("2025-09-01", announced="2025-08-11")


@pytest.mark.parametrize(("naive_sig", "naive", "lo", "hi", "verdict"), [
    (True, -3.5, -3.1, 3.4, "explained"),
    (True, 1.1, -1.4, 2.7, "inconclusive"),
    (True, -6.8, -16.0, -4.5, "confirmed"),
    (True, -6.8, 1.0, 4.0, "opposite"),
    (False, -1.0, -5.0, -2.0, "found_only"),
    (False, 0.2, -0.1, 1.1, "none"),
])
def test_verdicts(naive_sig: bool, naive: float, lo: float, hi: float, verdict: str) -> None:
    assert _verdict(naive_sig, naive, lo, hi) == verdict


def test_sample_csat_trend_is_called_out(sample: rm.Dataset) -> None:
    # truth.json: CSAT has a pre-existing decline and no change effect; NPS truly fell.
    table = rm.compare(sample, ROLLOUT, metrics=["nps", "csat"])
    rows, sentences, notes = trend_check(sample, ROLLOUT, table, ["nps", "csat"], 0.05,
                                         lambda _m: None)
    verdicts = {r["metric"]: r["verdict"] for r in rows}
    assert verdicts == {"nps": "confirmed",
                        "csat": "not confirmed: the pre-existing trend explains it"}
    assert [s.text.split(":")[0] for s in sentences] == ["CSAT (top-2-box share)"]
    assert notes == []


def test_a_singular_series_is_noted_not_fatal(monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np

    from rollout_metrics.report import trend

    def singular(*args: object, **kwargs: object) -> object:
        raise np.linalg.LinAlgError("Singular matrix")

    monkeypatch.setattr(trend, "its_metric", singular)
    data = rm.load_sample()
    table = rm.compare(data, ROLLOUT, metrics=["csat"])
    rows, sentences, notes = trend.trend_check(data, ROLLOUT, table, ["csat"], 0.05,
                                               lambda _m: None)
    assert rows == [] and sentences == []
    assert notes == ["CSAT (top-2-box %): no interrupted time series (Singular matrix)"]


def test_over_time_plot_shows_the_counterfactual_band(sample: rm.Dataset) -> None:
    """The report's over-time plot: the ITS counterfactual (pre-period trend extended) with
    its band from the announcement on, in the same units as the panel (minutes too)."""
    from matplotlib.collections import PolyCollection

    from rollout_metrics import plots
    from rollout_metrics.report.i18n import Text

    table = rm.compare(sample, ROLLOUT, metrics=["nps", "first_response_time"])
    curves: dict[str, object] = {}
    trend_check(sample, ROLLOUT, table, ["nps", "first_response_time"], 0.05,
                lambda _m: None, curves=curves)  # type: ignore[arg-type]
    assert set(curves) == {"nps", "first_response_time"}
    t = Text("en").with_minutes(frozenset({"first_response_time"}))
    fig = plots.plot_over_time(sample, ROLLOUT, ["nps", "first_response_time"], text=t,
                               scale={"first_response_time": 60.0},
                               counterfactual=curves)  # type: ignore[arg-type]
    band = "without the change: pre-period trend extended (ITS, 95% band)"
    for ax, curve in zip(fig.axes, ("nps", "first_response_time"), strict=True):
        lines = {line.get_label(): line for line in ax.get_lines()}
        assert band in lines
        x, y = lines[band].get_data()
        c = curves[curve]
        post = c[c["period"] != "before"]  # type: ignore[index]
        factor = 60.0 if curve == "first_response_time" else 1.0
        assert min(y) >= post["counterfactual"].min() * factor - 1e-9  # type: ignore[index]
        assert max(y) <= post["counterfactual"].max() * factor + 1e-9  # type: ignore[index]
        assert pd.Timestamp(min(x)) >= pd.Timestamp("2025-08-11")  # from the announcement
        assert any(isinstance(p, PolyCollection) and p.get_hatch() == "///"
                   for p in ax.collections)
    # units on every axis
    assert [ax.get_ylabel() for ax in fig.axes] == ["NPS (NPS points)",
                                                    "First-response time\n(minutes)"]
