"""The registry is how metrics are added: one spec, and compare, plots and the report know it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import rollout_metrics as rm
from rollout_metrics import plots
from rollout_metrics.metrics import (
    REGISTRY,
    MetricSpec,
    get_metric,
    register_metric,
    unregister_metric,
)
from rollout_metrics.stats.sufficient import Proportion

ROLLOUT = rm.Rollout("2025-09-01", announced="2025-08-11")


@pytest.fixture
def promoter_share() -> Iterator[MetricSpec]:
    spec = register_metric(MetricSpec(
        name="promoter_share", label="Promoters (%)", table="surveys", needs="nps_score",
        kind="counts", columns=("promoters", "nps_n"),
        statistic=lambda s, o: Proportion(int(s["promoters"]), int(s["nps_n"])),
        point=lambda stat, o: stat.share, test="proportion", units="% promoters",
        scale=100.0, direction=1, phrase="the share of promoters",
        method="Pooled two-proportion z test; Newcombe hybrid score interval",
        daily="promoters / NPS responses"))
    try:
        yield spec
    finally:
        unregister_metric("promoter_share")
    assert "promoter_share" not in REGISTRY


def test_registered_metric_in_compare(sample: rm.Dataset, promoter_share: MetricSpec) -> None:
    t = rm.compare(sample, ROLLOUT, ["nps", "promoter_share"], by="tier")
    rows = t[t["metric"] == "promoter_share"]
    assert len(rows) == 4 * 2
    assert set(rows["units"]) == {"% promoters"}
    overall = rows[(rows["segment"] == "overall") & (rows["comparison"] == "after_vs_before")]
    assert overall["method"].iloc[0] == "two_proportion_z_newcombe"
    # One family: p_adjusted of the NPS rows changes when the new rows join it.
    alone = rm.compare(sample, ROLLOUT, ["nps"], by="tier")
    assert rows["p_adjusted"].notna().all()
    assert len(t[t["p_adjusted"].notna()]) == len(alone[alone["p_adjusted"].notna()]) + 8


def test_registered_metric_in_plots(sample: rm.Dataset, promoter_share: MetricSpec) -> None:
    fig = plots.plot_over_time(sample, ROLLOUT, ["promoter_share"])
    assert [ax.get_ylabel() for ax in fig.axes] == ["Promoters (%)"]
    t = rm.compare(sample, ROLLOUT, ["promoter_share"], by="tier")
    forest = plots.plot_forest(t, "promoter_share")
    assert forest.axes[0].get_title().startswith("Promoters (%)")


def test_registered_metric_in_report(sample: rm.Dataset, promoter_share: MetricSpec) -> None:
    rep = rm.build_report(sample, ROLLOUT, ["nps", "promoter_share"], by="tier")
    html = rep.html()
    assert "promoter_share" in html and "% promoters" in html
    assert "Pooled two-proportion z test; Newcombe hybrid score interval" in html


def test_unknown_and_duplicate_metrics() -> None:
    with pytest.raises(rm.DataValidationError, match="unknown metric 'sales'; metrics: "):
        get_metric("sales")
    with pytest.raises(rm.DataValidationError, match="already registered"):
        register_metric(get_metric("nps"))
    with pytest.raises(rm.DataValidationError, match="built-in metric"):
        unregister_metric("nps")


def test_spec_fields_are_checked() -> None:
    spec = get_metric("nps")
    with pytest.raises(rm.DataValidationError, match="kind must be one of"):
        MetricSpec(**{**_fields(spec), "name": "x", "kind": "sum"})
    with pytest.raises(rm.DataValidationError, match="direction must be"):
        MetricSpec(**{**_fields(spec), "name": "x", "direction": 0})


def _fields(spec: MetricSpec) -> dict[str, object]:
    return {f: getattr(spec, f) for f in spec.__dataclass_fields__}
