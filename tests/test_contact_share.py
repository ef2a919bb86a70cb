"""The share of active customers who contacted support: reference values from R (sandwich's
``vcovCL``, ``tests/r/contact_share.R``, cases CS-1 to CS-3), engines, bad input, the report."""

from __future__ import annotations

import duckdb
import pandas as pd
import polars as pl
import pytest

import rollout_metrics as rm
from rollout_metrics import DataValidationError, MissingColumnError
from rollout_metrics.infer.overlap import cohort_share_diff
from rollout_metrics.metrics import MetricOptions, get_metric
from rollout_metrics.stats.daily import daily_series
from rollout_metrics.stats.sufficient import CohortShare

ROLLOUT = rm.Rollout("2025-09-01", announced="2025-08-11")


def _row(t: pd.DataFrame, segment: str = "overall",
         comparison: str = "after_vs_before") -> pd.Series:
    return t[(t.segment == segment) & (t.comparison == comparison)].iloc[0]


def test_clustered_difference_matches_r_vcovcl() -> None:
    # CS-1: 1,060 customers, 950 in both cohorts; lm(x ~ after) on the stacked outcomes,
    # vcovCL(cluster = ~id, type = "HC0", cadjust = FALSE)
    cells = (((1, 1, 1, 1), 300), ((1, 1, 1, 0), 100), ((1, 0, 1, 1), 150),
             ((1, 0, 1, 0), 400), ((1, 0, 0, 0), 50), ((0, 0, 1, 1), 60))
    b = CohortShare("before", ("before", "after"), cells)
    r = cohort_share_diff(b, b.at("after"))
    assert r.estimate == pytest.approx(0.104950495050, abs=1e-12)
    assert r.se == pytest.approx(0.016427865496, abs=1e-12)
    assert r.p_value == pytest.approx(1.67449078769e-10, rel=1e-9)
    assert (r.ci_low, r.ci_high) == pytest.approx((0.072752470335, 0.137148519764), abs=1e-12)
    assert r.extra["overlap"] == 950


def test_sample_matches_r(sample: rm.Dataset) -> None:
    t = rm.compare(sample, ROLLOUT, ["contact_share"], by="tier")
    # CS-2: cohort windows of 21 days (the transition's length): 4,064 and 4,078 customers
    # active on 2025-06-16 and 2025-09-01, 3,835 in both
    row = _row(t)
    assert (row.n_before, row.n_after) == (4064, 4078)
    assert row.before == pytest.approx(43.0118110236, abs=1e-9)
    assert row.after == pytest.approx(41.6871015204, abs=1e-9)
    assert row.p_value == pytest.approx(0.222889358376, rel=1e-9)
    assert (row.ci_low, row.ci_high) == pytest.approx((-3.4548459937, 0.8054269872), abs=1e-9)
    assert row.method == "cohort_share_clustered_wald" and row.units == "% of active customers"
    vip = _row(t, "VIP")  # CS-3
    assert (vip.n_before, vip.n_after) == (725, 703)
    assert vip.p_value == pytest.approx(0.610912892073, rel=1e-9)
    assert (vip.ci_low, vip.ci_high) == pytest.approx((-6.5167698317, 3.8307444234), abs=1e-9)


def test_segments_add_up_and_ticket_columns_do_not_split_customers(sample: rm.Dataset) -> None:
    t = rm.compare(sample, ROLLOUT, ["contact_share"], by="tier")
    segs = t[(t.segment != "overall") & (t.comparison == "after_vs_before")]
    assert segs.n_before.sum() == _row(t).n_before
    by_channel = rm.compare(sample, ROLLOUT, ["contact_share", "contact_rate"], by="channel")
    share = by_channel[by_channel.metric == "contact_share"]
    assert share.segment.eq("overall").all() and share.status.str.contains("not_segmented").all()


def test_window_is_the_shortest_period(sample: rm.Dataset) -> None:
    # Without an announcement both periods are 56 days: more customers contact in 56 days.
    t = rm.compare(sample, rm.Rollout("2025-09-01"), ["contact_share"])
    assert _row(t).before > 70 > _row(rm.compare(sample, ROLLOUT, ["contact_share"])).before


def test_same_numbers_on_every_engine(sample_frames: dict[str, pd.DataFrame],
                                      sample: rm.Dataset) -> None:
    reference = rm.compare(sample, ROLLOUT, ["contact_share"], by=["tier", "region"])
    for convert in (lambda f: f, pl.from_pandas, lambda f: duckdb.from_df(f)):
        data = rm.load_dataset({k: convert(v) for k, v in sample_frames.items()})
        pd.testing.assert_frame_equal(
            rm.compare(data, ROLLOUT, ["contact_share"], by=["tier", "region"]), reference,
            check_exact=False, rtol=1e-12, atol=1e-12)


def test_needs_tickets_and_has_no_daily_series(sample_frames: dict[str, pd.DataFrame],
                                               sample: rm.Dataset) -> None:
    data = rm.load_dataset({"customers": sample_frames["customers"],
                            "surveys": sample_frames["surveys"]})
    with pytest.raises(MissingColumnError, match="contact_share: needs the tickets table"):
        rm.compare(data, ROLLOUT, ["contact_share"])
    with pytest.raises(DataValidationError, match="contact_share has no daily series"):
        daily_series(sample, ROLLOUT, get_metric("contact_share"), [], MetricOptions())


def test_in_the_report_without_an_over_time_panel(sample: rm.Dataset) -> None:
    rep = rm.build_report(sample, ROLLOUT, ["contact_rate", "contact_share"], by="tier",
                          guardrails=["contact_share.delta > 5"])
    html = rep.html()
    assert "% of active customers" in html and "clustered by customer" in html
    assert "Customers who contacted support (%): no interrupted time series" in html
    assert rep.breaches.empty
