"""compare() with a staggered rollout (Rollout.per_segment): each segment on its own dates."""

from __future__ import annotations

import pytest

import rollout_metrics as rm
from rollout_metrics.stats.sufficient import NpsCounts

DATES = {"North": "2025-09-01", "South": "2025-10-06"}


@pytest.fixture(scope="module")
def data() -> rm.Dataset:
    return rm.load_sample()


def test_segments_use_their_own_dates(data: rm.Dataset) -> None:
    r = rm.Rollout.per_segment("region", DATES)
    t = rm.compare(data, r, metrics=["nps"], by="region").set_index("segment")
    for seg in DATES:
        own = rm.compare(data, r.for_segment(seg), metrics=["nps"], by="region")
        ref = own.set_index("segment").loc[seg]
        for col in ("n_before", "n_after", "delta", "ci_low", "p_value"):
            assert t.loc[seg, col] == pytest.approx(ref[col], rel=1e-12), (seg, col)
    assert set(t.loc[["East", "West"], "status"]) == {"not_treated"}
    assert t.loc["North", "status"] == "ok"


def test_overall_pools_each_segments_own_periods(data: rm.Dataset) -> None:
    r = rm.Rollout.per_segment("region", DATES)
    t = rm.compare(data, r, metrics=["nps"], by="region").set_index("segment")
    n_before = sum(t.loc[s, "n_before"] for s in DATES)
    assert t.loc["overall", "n_before"] == n_before
    from rollout_metrics.metrics import MetricOptions, get_metric
    from rollout_metrics.stats.periods import period_table

    pooled = NpsCounts(0, 0, 0)
    for seg in DATES:
        table = period_table(data, r.for_segment(seg), get_metric("nps"), ["region"],
                             MetricOptions())
        cell = table.cell(table.keys.index((seg,)), "after")
        pooled = pooled + cell
    assert t.loc["overall", "after"] == pytest.approx(pooled.score, rel=1e-12)
    plain = rm.compare(data, r, metrics=["nps"]).set_index("segment")
    assert plain.loc["overall", "delta"] == pytest.approx(t.loc["overall", "delta"], rel=1e-12)


@pytest.mark.parametrize("metric", ["complaints", "handling_time", "churn", "csat"])
def test_every_metric_runs_staggered(data: rm.Dataset, metric: str) -> None:
    r = rm.Rollout.per_segment("region", DATES)
    t = rm.compare(data, r, metrics=[metric], by="region", n_resamples=200)
    assert t["segment"].tolist()[:3] == ["overall", "North", "South"]
    assert t.loc[0, "p_value"] == t.loc[0, "p_value"]  # tested, not NaN


def test_other_segment_column_is_refused(data: rm.Dataset) -> None:
    r = rm.Rollout.per_segment("region", DATES)
    with pytest.raises(rm.DataValidationError, match=r"staggered by 'region'.*by=\['tier'\]"):
        rm.compare(data, r, metrics=["nps"], by="tier")


def test_dated_segment_without_data(data: rm.Dataset) -> None:
    r = rm.Rollout.per_segment("region", {"Atlantis": "2025-09-01"})
    with pytest.raises(rm.DataValidationError, match=r"'Atlantis' of 'region'.*\['East'"):
        rm.compare(data, r, metrics=["nps"], by="region")
