"""compare(): shape, bad input, engine independence, additivity, determinism."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pytest

import rollout_metrics as rm
from rollout_metrics import DataValidationError, MissingColumnError, PeriodError
from rollout_metrics.comparison import COLUMNS
from rollout_metrics.metrics import MetricOptions, get_metric
from rollout_metrics.stats.periods import period_table
from rollout_metrics.stats.sufficient import ValueCounts

ROLLOUT = rm.Rollout("2025-09-01", announced="2025-08-11")


@pytest.fixture(scope="module")
def by_tier(sample: rm.Dataset) -> pd.DataFrame:
    return rm.compare(sample, ROLLOUT, by="tier")


def test_columns_and_rows(by_tier: pd.DataFrame) -> None:
    assert list(by_tier.columns) == [*COLUMNS, "tier"]
    # 7 metrics x (overall + 3 tiers) x 2 comparisons
    assert len(by_tier) == 11 * 4 * 2
    first = by_tier.groupby("metric", sort=False).head(1)
    assert (first["segment"] == "overall").all()
    assert set(by_tier["comparison"]) == {"after_vs_before", "transition_vs_before"}


def test_ci_bounds_delta_and_p_in_unit_interval(by_tier: pd.DataFrame) -> None:
    tested = by_tier[by_tier["p_value"].notna()]
    assert ((tested["ci_low"] <= tested["delta"]) & (tested["delta"] <= tested["ci_high"])).all()
    assert tested["p_value"].between(0, 1).all()
    assert (tested["p_adjusted"] >= tested["p_value"] - 1e-15).all()


def test_small_rows_are_reported_untested_and_outside_the_family(sample: rm.Dataset) -> None:
    # min_n is the floor on responses (VIP has 258 NPS answers in the transition window)
    t = rm.compare(sample, ROLLOUT, metrics=["nps", "churn"], by="tier", min_n=300)
    small = t[t["status"] == "insufficient_data"]
    assert set(small["metric"]) == {"nps"} and len(small) > 0
    assert (small[["n_before", "n_after"]].min(axis=1) < 300).all()
    assert small["p_value"].isna().all() and small["significant"].isna().all()
    assert small["delta"].notna().all()  # the point estimate is still shown
    tested = t[t["p_value"].notna()]
    expected = rm.adjust_pvalues(tested["p_value"].to_numpy(), "fdr_bh")
    np.testing.assert_allclose(tested["p_adjusted"], expected)


@pytest.mark.parametrize("correction", ["holm", "none"])
def test_correction_options(sample: rm.Dataset, correction: str) -> None:
    t = rm.compare(sample, ROLLOUT, metrics=["nps"], by="tier", correction=correction)
    expected = rm.adjust_pvalues(t["p_value"].to_numpy(), correction)
    np.testing.assert_allclose(t["p_adjusted"], expected)


def test_units(by_tier: pd.DataFrame) -> None:
    units = dict(zip(by_tier["metric"], by_tier["units"], strict=False))
    assert units == {"nps": "NPS points", "csat": "% top-2-box",
                     "churn": "% per 30 customer-days",
                     "complaints": "per 1,000 customers per 30 days", "handling_time": "hours",
                     "first_response_time": "hours",
                     "contact_rate": "per 1,000 customers per 30 days",
                     "average_check": "per order", "average_check_uncapped": "per order",
                     "revenue_per_customer": "per active customer per 30 days",
                     "orders_per_customer": "per 100 active customers per 30 days"}


def test_segments_add_up_to_overall(sample: rm.Dataset) -> None:
    # Adding sufficient statistics over segments equals reducing the union.
    for metric in ("nps", "csat", "churn", "complaints", "handling_time"):
        table = period_table(sample, ROLLOUT, get_metric(metric), ["tier"], MetricOptions())
        for period in ("before", "transition", "after"):
            cells = [table.cell(i, period) for i in range(len(table.keys))]
            total = cells[1]
            for c in cells[2:]:
                total = total + c
            if isinstance(cells[0], ValueCounts):  # the overall cell also holds its clusters
                assert (total.values, total.counts) == (cells[0].values, cells[0].counts)
            else:
                assert total == cells[0], (metric, period)


def test_segment_of_some_metrics_only(sample: rm.Dataset) -> None:
    # channel is a ticket column: the ticket metrics are split by it, the survey and customer
    # metrics keep their overall rows with a status saying why.
    t = rm.compare(sample, ROLLOUT, by="channel")
    assert set(t["metric"]) == {"nps", "csat", "churn", "complaints", "handling_time",
                                "first_response_time", "contact_rate", "average_check",
                                "average_check_uncapped", "revenue_per_customer",
                                "orders_per_customer"}
    for metric in ("nps", "csat", "churn", "revenue_per_customer"):
        rows = t[t["metric"] == metric]
        assert rows["segment"].eq("overall").all()
        assert rows["status"].str.contains("not_segmented").all()
    channels = t[(t["metric"] == "handling_time") & (t["segment"] != "overall")]
    assert set(channels["segment"]) == {"chat", "email", "phone", "sms", "social"}


def test_separate_groupings_share_one_overall_row(sample: rm.Dataset) -> None:
    both = rm.compare(sample, ROLLOUT, metrics=["nps"], by=[["tier"], ["region"]])
    tier = rm.compare(sample, ROLLOUT, metrics=["nps"], by="tier")
    after = both[both["comparison"] == "after_vs_before"]
    assert (after["segment"] == "overall").sum() == 1
    assert set(after["by"]) == {"tier", "region"}
    key = ["segment", "comparison", "before", "after", "delta", "ci_low", "ci_high", "p_value"]
    pd.testing.assert_frame_equal(
        both[both["by"] == "tier"][key].reset_index(drop=True),
        tier[key].reset_index(drop=True))


def test_crossed_segments(sample: rm.Dataset) -> None:
    t = rm.compare(sample, ROLLOUT, metrics=["nps"], by=["tier", "region"])
    seg = t[t["segment"] != "overall"]
    assert len(seg) == 3 * 4 * 2
    assert seg["segment"].str.contains(" × ").all()
    assert {"tier", "region"} <= set(t.columns)


def test_ticket_segment_and_tenure_band(sample: rm.Dataset) -> None:
    t = rm.compare(sample, ROLLOUT, metrics=["handling_time", "complaints"], by="channel")
    assert set(t["segment"]) == {"overall", "chat", "email", "phone", "sms", "social"}
    tb = rm.compare(sample, ROLLOUT, metrics=["nps"], by="tenure_band")
    assert set(tb["segment"]) >= {"overall", "<3 months", "3+ years"}


def test_same_result_on_every_engine(sample_frames: dict[str, pd.DataFrame],
                                     sample: rm.Dataset) -> None:
    reference = rm.compare(sample, ROLLOUT, by="tier")
    for convert in (lambda f: f, pl.from_pandas, lambda f: duckdb.from_df(f)):
        data = rm.load_dataset({k: convert(v) for k, v in sample_frames.items()})
        pd.testing.assert_frame_equal(rm.compare(data, ROLLOUT, by="tier"), reference,
                                      check_exact=False, rtol=1e-12, atol=1e-12)


def test_deterministic(sample: rm.Dataset, by_tier: pd.DataFrame) -> None:
    again = rm.compare(sample, ROLLOUT, by="tier")
    counts = ["average_check", "average_check_uncapped", "revenue_per_customer",
              "orders_per_customer"]
    exact = ~by_tier["metric"].isin(counts)
    own = [c for c in by_tier.columns if c != "p_adjusted"]
    assert again.loc[exact, own].to_csv() == by_tier.loc[exact, own].to_csv()
    # The revenue metrics sum floating-point amounts, which DuckDB adds in parallel in a
    # thread-dependent order: repeated runs agree to rounding, not bit for bit (and so do the
    # adjusted p-values of the one family they belong to).
    pd.testing.assert_frame_equal(again, by_tier, check_exact=False, rtol=1e-12, atol=1e-12)


def test_single_metric_functions_match_compare(sample: rm.Dataset) -> None:
    for fn, metric in ((rm.compare_nps, "nps"), (rm.compare_csat, "csat"),
                       (rm.compare_churn, "churn"), (rm.compare_complaints, "complaints"),
                       (rm.compare_handling_time, "handling_time")):
        pd.testing.assert_frame_equal(fn(sample, ROLLOUT, by="tier"),
                                      rm.compare(sample, ROLLOUT, metrics=[metric], by="tier"))


def test_unknown_segment_lists_available(sample: rm.Dataset) -> None:
    with pytest.raises(MissingColumnError, match=r"segment column 'country' does not exist in "
                       r"the surveys table\(s\) of the selected metrics \['nps'\]\. Available "
                       r"segments: \['plan', 'preferred_channel', 'region'"):
        rm.compare(sample, ROLLOUT, metrics=["nps"], by="country")


def test_missing_metric_column_is_named(sample_frames: dict[str, pd.DataFrame]) -> None:
    data = rm.load_dataset({"customers": sample_frames["customers"],
                            "surveys": sample_frames["surveys"].drop(columns="nps_score")})
    with pytest.raises(MissingColumnError, match=r"nps: the surveys table has no 'nps_score' "
                       r"column, which this metric needs"):
        rm.compare(data, ROLLOUT, metrics=["nps"])


def test_unknown_metric(sample: rm.Dataset) -> None:
    with pytest.raises(DataValidationError, match=r"unknown metric 'sales'; metrics: \['average_check', 'average_check_uncapped', 'churn'"):
        rm.compare(sample, ROLLOUT, metrics=["sales"])


def test_empty_period_names_period_and_dates(sample_frames: dict[str, pd.DataFrame]) -> None:
    surveys = sample_frames["surveys"]
    gap = surveys[(surveys["responded_at"] < "2025-06-16") | (surveys["responded_at"] >= "2025-08-11")]
    data = rm.load_dataset({"customers": sample_frames["customers"], "surveys": gap})
    with pytest.raises(PeriodError, match=r"nps: the before period \[2025-06-16, 2025-08-11\) "
                       r"has no surveys data"):
        rm.compare(data, ROLLOUT, metrics=["nps"])


def test_window_outside_data(sample: rm.Dataset) -> None:
    with pytest.raises(PeriodError, match=r"lies outside the data"):
        rm.compare(sample, rm.Rollout("2026-06-01"), metrics=["nps"])


def test_partial_window_is_flagged(sample: rm.Dataset) -> None:
    t = rm.compare(sample, rm.Rollout("2025-12-01"), metrics=["nps"])
    assert t.loc[0, "status"] == "partial_window"


def test_timezone_mismatch(sample: rm.Dataset) -> None:
    with pytest.raises(PeriodError, match=r"the rollout is in Europe/Berlin but the data was "
                       r"loaded in UTC"):
        rm.compare(sample, rm.Rollout("2025-09-01", timezone="Europe/Berlin"), metrics=["nps"])


def test_censoring_flag(sample_frames: dict[str, pd.DataFrame]) -> None:
    tickets = sample_frames["tickets"].copy()
    tickets.loc[tickets.sample(frac=0.05, random_state=0).index, "resolved_at"] = None
    data = rm.load_dataset({"customers": sample_frames["customers"], "tickets": tickets})
    t = rm.compare(data, ROLLOUT, metrics=["handling_time"])
    assert "censoring" in t.loc[0, "status"]


def test_mix_shift_adds_up(sample: rm.Dataset) -> None:
    for metric in ("nps", "csat", "churn", "complaints", "handling_time"):
        t = rm.mix_shift(sample, ROLLOUT, metric, by="tier")
        np.testing.assert_allclose(t["within"] + t["mix"], t["overall_delta"], atol=1e-9)
    with pytest.raises(DataValidationError, match="mix_shift needs segments"):
        rm.mix_shift(sample, ROLLOUT, "nps", by=None)  # type: ignore[arg-type]


def test_mix_shift_detects_a_pure_mix_change() -> None:
    # Two segments with fixed NPS (+100 and -100); only their shares change.
    days_before = pd.date_range("2025-08-20", periods=10, freq="D")
    days_after = pd.date_range("2025-09-01", periods=10, freq="D")
    rows = [(1, d, 10) for d in days_before] + [(2, d, 0) for d in days_before] * 3
    rows += [(1, d, 10) for d in days_after] * 3 + [(2, d, 0) for d in days_after]
    surveys = pd.DataFrame(rows, columns=["customer_id", "responded_at", "nps_score"])
    customers = pd.DataFrame({"customer_id": [1, 2], "signup_date": ["2024-01-01"] * 2,
                              "tier": ["VIP", "new"]})
    data = rm.load_dataset({"customers": customers, "surveys": surveys})
    t = rm.mix_shift(data, rm.Rollout("2025-09-01", pre_days=14, post_days=14), "nps", "tier")
    assert t.loc[0, "overall_delta"] == pytest.approx(100.0)
    assert t.loc[0, "within"] == pytest.approx(0.0)
    assert t.loc[0, "mix"] == pytest.approx(100.0)


def test_memoised_reductions_do_not_leak_between_designs(sample_frames: dict[str, pd.DataFrame]
                                                          ) -> None:
    # compare() and its_metric() reduce handling times by period and by day respectively;
    # on one dataset, each must get its own reduction, in either order.
    fresh = rm.load_dataset(dict(sample_frames))
    first = rm.its_metric(fresh, ROLLOUT, "handling_time").table
    rm.compare(fresh, ROLLOUT, metrics=["handling_time"])
    again = rm.its_metric(fresh, ROLLOUT, "handling_time").table
    pd.testing.assert_frame_equal(first, again)
    other = rm.load_dataset(dict(sample_frames))
    rm.compare(other, ROLLOUT, metrics=["handling_time"])
    pd.testing.assert_frame_equal(rm.its_metric(other, ROLLOUT, "handling_time").table, first)


def test_large_pandas_frames_are_routed_through_duckdb(
    monkeypatch: pytest.MonkeyPatch, sample_frames: dict[str, pd.DataFrame],
    sample: rm.Dataset,
) -> None:
    from rollout_metrics._engine import io

    monkeypatch.setattr(io, "PANDAS_TO_DUCKDB_ROWS", 0)
    data = rm.load_dataset(dict(sample_frames))
    assert data.table("tickets").implementation.name == "DUCKDB"
    pd.testing.assert_frame_equal(data.quality.drop(columns="examples"),
                                  sample.quality.drop(columns="examples"))
    assert data.quality["examples"].str.startswith("row ").all()  # row numbers kept
    pd.testing.assert_frame_equal(rm.compare(data, ROLLOUT, by="tier"),
                                  rm.compare(sample, ROLLOUT, by="tier"),
                                  check_exact=False, rtol=1e-12, atol=1e-12)


def test_reductions_are_owned_and_reused(sample: rm.Dataset) -> None:
    red = rm.Reductions(sample)
    a = rm.compare(sample, ROLLOUT, ["nps", "csat"], by="tier", reductions=red)
    assert len(red) == 1  # NPS and CSAT share one survey reduction
    b = rm.compare(sample, ROLLOUT, ["nps", "csat"], by="tier", reductions=red)
    assert len(red) == 1
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(a, rm.compare(sample, ROLLOUT, ["nps", "csat"], by="tier"))
    other = rm.load_dataset({"customers": pd.DataFrame({"customer_id": [1],
                                                        "signup_date": ["2024-01-01"]})})
    with pytest.raises(DataValidationError, match="reductions= belongs to another Dataset"):
        rm.compare(other, ROLLOUT, ["nps"], reductions=red)


def test_each_test_has_its_own_minimum(sample: rm.Dataset) -> None:
    # The exact conditional Poisson test is valid for any counts: min_n does not withhold it.
    # VIP churn: 8 events before, 13 after and 14 in the announcement window.
    t = rm.compare(sample, ROLLOUT, metrics=["churn", "complaints"], by="tier", min_n=1000)
    assert t["p_value"].notna().all() and (t["status"] != "insufficient_data").all()
    vip = t[(t["segment"] == "VIP") & (t["comparison"] == "transition_vs_before")]
    churn = vip[vip["metric"] == "churn"].iloc[0]
    assert (churn["n_before"], churn["n_after"]) == (8, 14)
    assert churn["method"] == "poisson_exact_conditional" and churn["significant"]
    complaints = vip[vip["metric"] == "complaints"].iloc[0]
    assert complaints["method"] == "quasi_poisson_glm_t" and complaints["status"] == "overdispersed"
    # Below a test's own minimum a lower min_n does not help: p90 needs 30 tickets a period.
    small = rm.compare(sample, ROLLOUT, metrics=["handling_time"], by=["channel", "tier"],
                       handling_stat="p90", min_n=1)
    fewest = small[["n_before", "n_after"]].min(axis=1)
    assert (small.loc[fewest < 30, "status"] == "insufficient_data").all()
    assert small.loc[fewest >= 30, "p_value"].notna().all()


def test_vip_transition_complaints_are_tested(sample: rm.Dataset) -> None:
    t = rm.compare(sample, ROLLOUT, by="tier")
    row = t[(t["metric"] == "complaints") & (t["segment"] == "VIP")
            & (t["comparison"] == "transition_vs_before")].iloc[0]
    assert row["status"] != "insufficient_data" and 0 <= row["p_value"] <= 1
    assert row["ci_low"] <= row["delta"] <= row["ci_high"]


def test_daily_rate_test_needs_an_event_each_period_and_28_days(sample: rm.Dataset) -> None:
    two_weeks = rm.Rollout("2025-09-01", pre_days=14, post_days=14)
    assert rm.compare(sample, two_weeks, metrics=["complaints"])["p_value"].notna().all()
    short = rm.Rollout("2025-09-01", pre_days=14, post_days=7)  # 21 days: 13 residual df
    t = rm.compare(sample, short, metrics=["complaints"])
    assert (t["status"] == "insufficient_data").all() and t["p_value"].isna().all()


def test_compare_flags_degenerate_rows() -> None:
    # VIP answers 10 / 5 and has every ticket resolved in exactly 60 minutes, in both periods;
    # the regular customer varies.
    rng = np.random.default_rng(3)
    days = pd.date_range("2025-08-02", periods=60, freq="D")
    surveys, tickets = [], []
    # 40 customers per tier (a handling-time quantile clustered by customer needs 30 with
    # tickets in each period); every VIP answer and ticket is the same.
    for i, day in enumerate(days):
        for tier in (0, 1):
            for k in range(2):
                cust = 40 * tier + (2 * i + k) % 40 + 1
                nps, csat = (10, 5) if tier == 0 else (rng.integers(0, 11), rng.integers(1, 6))
                surveys.append((cust, day + pd.Timedelta(hours=10 + k), int(nps), int(csat)))
                minutes = 60 if tier == 0 else int(rng.integers(20, 200))
                created = day + pd.Timedelta(hours=9 + k)
                tickets.append((len(tickets) + 1, cust, created,
                                created + pd.Timedelta(minutes=minutes), "phone", i % 5 == 0))
    data = rm.load_dataset({
        "customers": pd.DataFrame({"customer_id": range(1, 81), "signup_date": "2024-01-01",
                                   "tier": ["VIP"] * 40 + ["regular"] * 40}),
        "surveys": pd.DataFrame(surveys, columns=["customer_id", "responded_at", "nps_score",
                                                  "csat_score"]),
        "tickets": pd.DataFrame(tickets, columns=["ticket_id", "customer_id", "created_at",
                                                  "resolved_at", "channel", "is_complaint"]),
    })
    rollout = rm.Rollout("2025-09-01", pre_days=28, post_days=28)
    t = rm.compare(data, rollout, metrics=["nps", "csat", "csat_mean", "handling_time"],
                   by="tier", nps_method="wald")
    vip = t[t["segment"] == "VIP"].set_index("metric")
    assert (vip["status"] == "degenerate").all(), vip["status"]
    assert vip["p_value"].isna().all() and vip["significant"].isna().all()
    assert not (vip["mde"] == 0).any()
    assert vip.loc[["nps", "csat_mean", "handling_time"], ["ci_low", "ci_high"]].isna().all().all()
    regular = t[t["segment"] == "regular"]
    assert regular["status"].eq("ok").all() and regular["p_value"].notna().all()


def test_a_metric_segmented_by_one_grouping_is_not_flagged(sample: rm.Dataset) -> None:
    t = rm.compare(sample, ROLLOUT, ["nps", "complaints"], by=[["tier"], ["channel"]])
    assert not t["status"].str.contains("not_segmented").any()
    nps = t[t["metric"] == "nps"]
    assert set(nps.loc[nps["segment"] != "overall", "by"]) == {"tier"}


def test_readme_python_example_prints_what_the_readme_shows(capsys: pytest.CaptureFixture[str]
                                                             ) -> None:
    # The README's "In Python" snippet on the sample and the output it shows beside it.
    import re
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    part = readme[readme.index("## In Python"):]
    code, shown = re.search(r"```python\n(.*?)```\n\nReal output on the bundled sample:\n\n"
                            r"```\n(.*?)```", part, re.S).groups()  # type: ignore[union-attr]
    exec(code, {})
    assert capsys.readouterr().out == shown
