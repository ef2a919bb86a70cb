"""On the bundled sample, compare() finds the effects injected into it (src/rollout_metrics/_sample/truth.json).

The truth is copied here from truth.json by the generator's constants: NPS -15 points for
VIP only; phone handling 1.5x slower (population median 4 h -> 6 h); churn hazard x3 in the
announcement window and unchanged after; complaints x(1 + 1.5 e^(-t/14)), 1.37x on average
over the 8-week window; CSAT has a pre-existing decline and no change effect; contact volume
unchanged; first response unchanged but for the phone shift implied by the slower resolution;
order amounts x0.85 for VIP after the change, orders per customer unchanged.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

import rollout_metrics as rm
from rollout_metrics.load.dataset import sample_path

TRUTH = json.loads((sample_path() / "truth.json").read_text())
ROLLOUT = rm.Rollout(TRUTH["change_date"], announced=TRUTH["announced"])


def _truth(metric: str, segment: str, comparison: str = "after_vs_before") -> dict[str, float]:
    for e in TRUTH["effects"]:
        if (e["metric"], e["segment"], e["comparison"]) == (metric, segment, comparison):
            return dict(e)
    raise KeyError((metric, segment, comparison))


def _row(t: pd.DataFrame, segment: str, comparison: str = "after_vs_before") -> pd.Series:
    return t[(t.segment == segment) & (t.comparison == comparison)].iloc[0]


@pytest.fixture(scope="module")
def by_tier(sample: rm.Dataset) -> pd.DataFrame:
    return rm.compare(sample, ROLLOUT, by="tier")


@pytest.fixture(scope="module")
def overall(sample: rm.Dataset) -> pd.DataFrame:
    return rm.compare(sample, ROLLOUT)


def test_nps_falls_for_vip_only(by_tier: pd.DataFrame) -> None:
    nps = by_tier[by_tier.metric == "nps"]
    vip = _row(nps, "VIP")
    assert vip.significant and vip.delta < 0
    assert vip.ci_low <= _truth("nps", "VIP")["delta"] <= vip.ci_high
    for tier in ("new", "regular"):
        assert not _row(nps, tier).significant


def test_anticipatory_churn_in_transition_and_none_after(overall: pd.DataFrame) -> None:
    churn = overall[overall.metric == "churn"]
    tr = _row(churn, "overall", "transition_vs_before")
    assert tr.significant and tr.delta > 0
    ratio = _truth("churn", "overall", "transition_vs_before")["ratio"]
    assert tr.ci_low <= tr.before * (ratio - 1) <= tr.ci_high
    assert not _row(churn, "overall").significant


def test_complaints_rise(overall: pd.DataFrame) -> None:
    row = _row(overall[overall.metric == "complaints"], "overall")
    ratio = _truth("complaints", "overall")["ratio"]
    assert row.significant and row.delta > 0
    assert row.ci_low <= row.before * (ratio - 1) <= row.ci_high


def test_handling_time_slower_on_phone_only(sample: rm.Dataset) -> None:
    t = rm.compare(sample, ROLLOUT, metrics=["handling_time"], by="channel")
    phone = _row(t, "phone")
    assert phone.significant and phone.delta > 0
    assert phone.ci_low <= _truth("handling_time", "phone")["delta"] <= phone.ci_high
    for channel in ("email", "chat", "sms", "social"):
        assert not _row(t, channel).significant, channel


def test_no_false_positive_where_the_truth_is_no_change(sample: rm.Dataset) -> None:
    # Churn after the change, and every metric the change did not touch in the transition
    # window, stay non-significant for every tier (VIP NPS is the only NPS effect).
    t = rm.compare(sample, ROLLOUT, metrics=["nps", "churn"], by="tier")
    nulls = t[((t.metric == "nps") & t.segment.isin(["new", "regular"]))
              | ((t.metric == "churn") & (t.comparison == "after_vs_before"))]
    assert not nulls["significant"].fillna(False).any()


def test_naive_csat_is_biased_by_the_pre_existing_trend(overall: pd.DataFrame) -> None:
    # No change effect, but the naive before/after difference picks up the trend.
    row = _row(overall[overall.metric == "csat"], "overall")
    bias = _truth("csat", "overall")["naive_expected_delta"]
    assert row.delta < 0
    assert row.ci_low <= bias <= row.ci_high


def test_contact_volume_unchanged(sample: rm.Dataset) -> None:
    # Complaints rose, but as a larger share of the same tickets: the contact rate stays.
    for by in ("channel", "tier"):
        t = rm.compare(sample, ROLLOUT, metrics=["contact_rate"], by=by)
        assert not t["significant"].fillna(False).any(), by
    for comparison in ("after_vs_before", "transition_vs_before"):
        row = _row(t, "overall", comparison)
        assert _truth("contact_rate", "overall", comparison)["ratio"] == 1.0
        assert row.ci_low <= 0.0 <= row.ci_high


def test_first_response_time_unchanged_but_for_a_small_phone_shift(sample: rm.Dataset) -> None:
    # First response = min(reply, resolution): the slower phone resolution moves the phone
    # median by under 3 minutes, inside the interval and too small to be significant.
    t = rm.compare(sample, ROLLOUT, metrics=["first_response_time"], by="channel")
    assert not t["significant"].fillna(False).any()
    for channel in ("phone", "email", "chat", "sms", "social"):
        row = _row(t, channel)
        assert row.ci_low <= _truth("first_response_time", channel)["delta"] <= row.ci_high


def test_average_check_and_revenue_fall_for_vip_only(by_tier: pd.DataFrame) -> None:
    for metric in ("average_check", "average_check_uncapped", "revenue_per_customer"):
        t = by_tier[by_tier.metric == metric]
        vip = _row(t, "VIP")
        assert vip.significant and vip.delta < 0, metric
        ratio = _truth(metric, "VIP")["ratio"]
        assert vip.ci_low <= vip.before * (ratio - 1) <= vip.ci_high, metric
        for tier in ("new", "regular"):
            assert _truth(metric, tier)["ratio"] == 1.0
            assert not _row(t, tier).significant, (metric, tier)
        assert not t[t.comparison == "transition_vs_before"]["significant"].any(), metric
    orders = by_tier[by_tier.metric == "orders_per_customer"]
    assert _truth("orders_per_customer", "overall")["ratio"] == 1.0
    assert not orders["significant"].fillna(False).any()
