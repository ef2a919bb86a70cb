"""its_metric() and did_metric() on the bundled sample (truth in src/rollout_metrics/_sample/truth.json)."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import rollout_metrics as rm
from rollout_metrics.designs.on_metrics import DESIGN_COLUMNS, did_metric, its_metric, metric_series
from rollout_metrics.load.dataset import sample_path

ROLLOUT = rm.Rollout("2025-09-01", announced="2025-08-11")


@pytest.fixture(scope="module")
def data() -> rm.Dataset:
    return rm.load_sample()


@pytest.fixture(scope="module")
def truth() -> dict[str, object]:
    return json.loads((sample_path() / "truth.json").read_text())


def _effect(truth: dict[str, object], metric: str, comparison: str) -> dict[str, float]:
    effects = truth["effects"]
    assert isinstance(effects, list)
    return next(e for e in effects if e["metric"] == metric and e["comparison"] == comparison)


def test_csat_trend_biases_naive_but_not_its(data: rm.Dataset, truth: dict[str, object]) -> None:
    true_delta = _effect(truth, "csat", "after_vs_before")["delta"]
    naive = rm.compare(data, ROLLOUT, metrics=["csat"]).set_index("comparison")
    row = naive.loc["after_vs_before"]
    # The pre-existing decline makes the naive delta clearly negative, CI excluding 0.
    assert row["delta"] < -2.0 and row["ci_high"] < 0
    res = its_metric(data, ROLLOUT, "csat")
    eff = res.table.set_index("term").loc["average_effect"]
    assert eff["ci_low"] <= true_delta <= eff["ci_high"]
    assert abs(eff["delta"] - true_delta) < abs(row["delta"] - true_delta)


def test_anticipatory_churn_detected_by_both(data: rm.Dataset, truth: dict[str, object]) -> None:
    assert _effect(truth, "churn", "transition_vs_before")["ratio"] > 1
    naive = rm.compare(data, ROLLOUT, metrics=["churn"]).set_index("comparison")
    assert naive.loc["transition_vs_before", "delta"] > 0
    assert naive.loc["transition_vs_before", "p_value"] < 0.01
    res = its_metric(data, ROLLOUT, "churn")
    row = res.table.set_index("term").loc["transition_effect"]
    assert row["delta"] > 0 and row["ci_low"] > 0
    assert row["method"].startswith("its_quasipoisson")
    assert row["units"] == "% per 30 customer-days"


def test_table_format_matches_compare(data: rm.Dataset) -> None:
    res = its_metric(data, ROLLOUT, "nps", by="tier", freq="W")
    assert list(res.table.columns) == [*DESIGN_COLUMNS, "tier"]
    assert res.table["segment"].iloc[0] == "overall"
    assert set(res.table["segment"]) == {"overall", "VIP", "new", "regular"}
    assert set(res.results) == {("nps", s) for s in ("overall", "VIP", "new", "regular")}
    assert set(res.table["by"]) == {"tier"} and set(res.table["metric"]) == {"nps"}
    assert set(res.table["comparison"]) == {"after_vs_before", "transition_vs_before"}
    p = res.table["p_value"].to_numpy(float)
    assert np.all(res.table["p_adjusted"].to_numpy(float) >= p - 1e-12)
    assert set(zip(res.series["metric"], res.series["segment"], strict=True)) == set(res.results)
    vip = res.table[(res.table.segment == "VIP") & (res.table.term == "average_effect")]
    assert vip["tier"].item() == "VIP" and vip["delta"].item() < 0
    assert "Interrupted time series" in res._repr_html_()


def test_series_from_reductions(data: rm.Dataset) -> None:
    # Weighted mean of the daily NPS equals the NPS of the pooled counts.
    s = metric_series(data, rm.Rollout("2025-09-01"), "nps")
    overall = s[s.segment == "overall"]
    pooled = rm.compare(data, rm.Rollout("2025-09-01"), metrics=["nps"])
    before = overall[overall["date"] < pd.Timestamp("2025-09-01")]
    score = (before["value"] * before["weight"]).sum() / before["weight"].sum()
    assert score == pytest.approx(pooled.loc[0, "before"], rel=1e-12)
    counts = metric_series(data, rm.Rollout("2025-09-01"), "complaints", by="channel")
    assert counts["value"].sum() > 0 and set(counts.columns) >= {"channel", "weight"}


def test_default_pre_period_is_longer(data: rm.Dataset) -> None:
    res = its_metric(data, ROLLOUT, "handling_time", pre_days=30)
    assert res.table.loc[0, "n_before"] == 30
    res = its_metric(data, replace(ROLLOUT, pre_days=28), "handling_time")
    assert res.table.loc[0, "n_before"] == 56
    assert res.info["open_tickets"] >= 0


def test_too_short_series_says_counts(data: rm.Dataset) -> None:
    short = rm.Rollout("2025-09-01", post_days=5)
    with pytest.raises(rm.InsufficientDataError, match=r"csat .*at least 8 .*got \d+ before and 5"):
        its_metric(data, short, "csat")


def test_short_segment_gets_status(data: rm.Dataset, monkeypatch: pytest.MonkeyPatch) -> None:
    import rollout_metrics.designs.on_metrics as designs

    real = designs.its

    def its_short_segments(frame: pd.DataFrame, **kw: object) -> object:
        if kw["segment"] != "overall":
            raise rm.InsufficientDataError("got 3 before")
        return real(frame, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(designs, "its", its_short_segments)
    res = its_metric(data, ROLLOUT, "nps", by="tier", freq="W")
    seg = res.table[res.table.segment != "overall"]
    assert set(seg["status"]) == {"insufficient_data"}


def test_change_date_outside_data(data: rm.Dataset) -> None:
    with pytest.raises(rm.PeriodError, match="outside the data"):
        its_metric(data, rm.Rollout("2026-03-01"), "nps")


def test_unknown_metric_and_segment(data: rm.Dataset) -> None:
    with pytest.raises(rm.DataValidationError, match="unknown metric 'sales'"):
        its_metric(data, ROLLOUT, "sales")
    with pytest.raises(rm.MissingColumnError, match="Available segments"):
        its_metric(data, ROLLOUT, "nps", by="planet")


def test_did_metric_vip_nps(data: rm.Dataset) -> None:
    # One treated tier of three. Daily, 56 + 56 days: the gap series with AR(1) errors.
    res = did_metric(data, rm.Rollout("2025-09-01"), "nps", by="tier", treated=["VIP"])
    rows = res.table.set_index("term")
    row = rows.loc["did_2x2"]
    assert row["delta"] < 0
    assert row["status"] == "ok" and row["method"] == "did_2x2_gap_ar1_bootstrap"
    assert row["ci_low"] < row["delta"] < row["ci_high"]
    assert res.model_info["nps"]["inference"]["did_2x2"]["test"] == "gap_ar1_bootstrap"
    assert rows.loc["pre_trend", "method"] == "pre_trend_gap_ar1_bootstrap"
    # Weekly, 8 + 8 weeks: too short for the gap series (12 + 12 dates), so randomisation
    # over which tier is treated, whose p cannot go below 1/3: no p-value, never significant.
    weekly = did_metric(data, rm.Rollout("2025-09-01"), "nps", by="tier", treated=["VIP"],
                        freq="W").table
    assert (weekly["status"] == "cannot_reach_significance").all()
    assert weekly["p_value"].isna().all() and weekly["significant"].isna().all()
    assert weekly.set_index("term").loc["did_2x2", "delta"] < 0


def test_did_metric_unknown_treated_lists_segments(data: rm.Dataset) -> None:
    with pytest.raises(rm.DataValidationError, match=r"unknown 'tier' segment\(s\) \['Gold'\]; "
                       r"available segments: \['VIP', 'new', 'regular'\]"):
        did_metric(data, ROLLOUT, "csat", "tier", treated=["Gold"])


def test_did_metric_counts_and_staggered(data: rm.Dataset) -> None:
    res = did_metric(data, rm.Rollout("2025-09-01"), "churn", "region",
                     treated=_regions(data)[:1])
    assert res.table["metric"].iloc[0] == "churn"
    regions = _regions(data)
    staggered = rm.Rollout.per_segment("region", {regions[0]: "2025-08-18",
                                                   regions[1]: "2025-09-15"})
    res = did_metric(data, staggered, "nps", "region", freq="W")
    assert "did_stacked" in set(res.table["term"])


def _regions(data: rm.Dataset) -> list[str]:
    s = metric_series(data, rm.Rollout("2025-09-01"), "nps", by="region", freq="W")
    return sorted(s["region"].dropna().unique())


def test_did_metric_change_date_outside_data(data: rm.Dataset) -> None:
    with pytest.raises(rm.PeriodError, match=r"nps: change date 2026-03-01 is outside the data, which runs from 2025"):
        did_metric(data, rm.Rollout("2026-03-01"), "nps", "tier", treated=["VIP"])


def test_its_metric_refuses_staggered_rollout(data: rm.Dataset) -> None:
    r = rm.Rollout.per_segment("region", {"North": "2025-09-01", "South": "2025-10-06"})
    with pytest.raises(rm.PeriodError, match=r"staggered by 'region' \(2 dates\)"):
        its_metric(data, r, "nps")
    res = its_metric(data, r.for_segment("South"), "nps", freq="W")
    assert res.table.loc[0, "n_after"] == 8


def test_its_metric_list_of_metrics_is_one_family(data: rm.Dataset) -> None:
    both = its_metric(data, ROLLOUT, ["csat", "churn"], correction="holm")
    assert list(both.table.columns) == DESIGN_COLUMNS
    assert list(dict.fromkeys(both.table["metric"])) == ["csat", "churn"]
    assert set(both.results) == {("csat", "overall"), ("churn", "overall")}
    assert set(both.info["start"]) == {"csat", "churn"}
    for metric in ("csat", "churn"):
        one = its_metric(data, ROLLOUT, metric).table
        mine = both.table[both.table["metric"] == metric].reset_index(drop=True)
        for col in ("term", "comparison", "delta", "ci_low", "ci_high", "p_value", "units"):
            pd.testing.assert_series_equal(mine[col], one[col])
    p = both.table["p_value"].to_numpy(float)
    holm = rm.adjust_pvalues(p, "holm")
    np.testing.assert_allclose(both.table["p_adjusted"], holm)
    assert both.table["significant"].tolist() == (holm < 0.05).tolist()
    assert "csat, churn" in both._repr_html_()


def test_its_metric_bad_options(data: rm.Dataset) -> None:
    with pytest.raises(rm.DataValidationError, match="unknown p-value adjustment 'bonf'"):
        its_metric(data, ROLLOUT, "csat", correction="bonf")
    with pytest.raises(rm.DataValidationError, match="no metric given"):
        its_metric(data, ROLLOUT, [])
    with pytest.raises(rm.DataValidationError, match="alpha must be in"):
        did_metric(data, ROLLOUT, "csat", "tier", treated=["VIP"], alpha=0)


def test_did_metric_contract_and_metric_list(data: rm.Dataset) -> None:
    r = rm.Rollout("2025-09-01")
    res = did_metric(data, r, ["nps", "complaints"], "tier", treated="VIP", freq="W")
    t = res.table
    assert list(t.columns) == [*DESIGN_COLUMNS, "tier"]
    assert list(dict.fromkeys(t["metric"])) == ["nps", "complaints"]
    assert set(t["by"]) == {"tier"} and set(t["segment"]) == {"VIP"} and set(t["tier"]) == {"VIP"}
    assert set(t["comparison"]) == {"after_vs_before"}
    units = dict(zip(t["metric"] + "/" + t["term"], t["units"], strict=True))
    assert units["nps/did_2x2"] == "NPS points"
    assert units["nps/pre_trend"] == "NPS points per day"
    assert units["complaints/did_twfe"] == "per 1,000 customers per 30 days"
    fdr = rm.adjust_pvalues(t["p_value"].to_numpy(float), "fdr_bh")
    np.testing.assert_allclose(t["p_adjusted"], fdr)
    one = did_metric(data, r, "nps", "tier", treated=["VIP"], freq="W").table
    pd.testing.assert_series_equal(t.loc[t["metric"] == "nps", "delta"], one["delta"])
    assert set(res.model_info) == {"nps", "complaints"}
    assert set(res.means["metric"]) == {"nps", "complaints"}
    two = did_metric(data, r, "nps", "tier", treated=["new", "VIP"], freq="W").table
    assert set(two["segment"]) == {"VIP + new"}
