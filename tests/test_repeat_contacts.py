"""Repeat contacts within N days: reference values from R (``tests/r/repeat_contacts.R``,
cases RC-1 to RC-3), the full-follow-up rule, clustering by customer, engines, bad input."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import polars as pl
import pytest

import rollout_metrics as rm
from rollout_metrics import DataValidationError
from rollout_metrics.reduce.cohorts import repeat_patterns, repeat_windows

ROLLOUT = rm.Rollout("2025-09-01", announced="2025-08-11")


def _row(t: pd.DataFrame, segment: str = "overall",
         comparison: str = "after_vs_before") -> pd.Series:
    return t[(t.segment == segment) & (t.comparison == comparison)].iloc[0]


@pytest.fixture(scope="module")
def by_channel(sample: rm.Dataset) -> pd.DataFrame:
    return rm.compare(sample, ROLLOUT, ["repeat_contacts"], by="channel")


@pytest.mark.parametrize(("case", "segment", "comparison", "n", "before", "after", "p", "ci"), [
    ("RC-1", "overall", "after_vs_before", (5564, 5480), 0.176132278936, 0.175729927007,
     0.955879636528, (-0.014656250117, 0.013851546260)),
    ("RC-2", "overall", "transition_vs_before", (5564, 1631), 0.176132278936, 0.196811771919,
     0.0507593805109, (-0.000068337456, 0.041427323422)),
    ("RC-3", "phone", "after_vs_before", (1347, 1278), 0.181143281366, 0.154929577465,
     0.0770206171575, (-0.055269649666, 0.002842241864)),
])
def test_matches_r(by_channel: pd.DataFrame, case: str, segment: str, comparison: str,
                   n: tuple[int, int], before: float, after: float, p: float,
                   ci: tuple[float, float]) -> None:
    row = _row(by_channel, segment, comparison)
    assert (row.n_before, row.n_after) == n, case
    assert row.before == pytest.approx(100 * before, abs=1e-9), case
    assert row.after == pytest.approx(100 * after, abs=1e-9), case
    assert row.p_value == pytest.approx(p, rel=1e-9), case
    assert (row.ci_low, row.ci_high) == pytest.approx((100 * ci[0], 100 * ci[1]), abs=1e-9)
    assert row.method == "cohort_share_clustered_wald" and row.units == "% of tickets"


def test_only_tickets_with_a_full_follow_up_count() -> None:
    # The last N days of a period, and of the data, are not eligible.
    w = repeat_windows(ROLLOUT, 7, dt.datetime(2025, 10, 20, 12))
    assert w["before"] == (dt.datetime(2025, 6, 16), dt.datetime(2025, 8, 4))
    assert w["after"] == (dt.datetime(2025, 9, 1), dt.datetime(2025, 10, 13, 12))
    customers = pd.DataFrame({"customer_id": [1, 2, 3], "signup_date": ["2025-01-01"] * 3})
    tickets = pd.DataFrame({
        "ticket_id": [1, 2, 3, 4, 5, 6],
        "customer_id": [1, 1, 2, 2, 2, 3],
        # Customer 1: 1 -> 2 after 3 days, both within 7 days of the before period's end:
        # neither is eligible.  Customer 2: 3 -> 4 after 1 day (a repeat), 4 -> 5 after
        # 8 days (not a repeat at N = 7), 5 within 7 days of the after period's end.
        # Ticket 6 (another customer) sets the data's end, 07-30 09:00.
        "created_at": ["2025-07-01 10:00", "2025-07-04 10:00", "2025-07-10 09:00",
                       "2025-07-11 09:00", "2025-07-19 09:00", "2025-07-30 09:00"],
    })
    data = rm.load_dataset({"customers": customers, "tickets": tickets})
    r = rm.Rollout("2025-07-07", pre_days=7, post_days=14)  # [06-30, 07-07), [07-07, 07-21)
    t = repeat_patterns(data, r, [])
    assert int((t.n_before * t.customers).sum()) == 0  # eligible before 06-30: none
    # after: eligible before min(07-21, 07-30 09:00) - 7 d = 07-14: tickets 3 and 4
    assert int((t.n_after * t.customers).sum()) == 2
    assert int((t.r_after * t.customers).sum()) == 1
    # N = 9: eligible before 07-12, still 3 and 4, and 4 -> 5 (8 days) is now a repeat
    nine = repeat_patterns(data, r, [], days=9)
    assert int((nine.n_after * nine.customers).sum()) == 2
    assert int((nine.r_after * nine.customers).sum()) == 2
    # N = 10: eligible before 07-11, ticket 3 only
    ten = repeat_patterns(data, r, [], days=10)
    assert int((ten.n_after * ten.customers).sum()) == 1


def test_window_is_configurable(sample: rm.Dataset) -> None:
    week = _row(rm.compare(sample, ROLLOUT, ["repeat_contacts"]))
    three = _row(rm.compare(sample, ROLLOUT, ["repeat_contacts"], repeat_days=3))
    assert three.before < week.before and three.n_before > week.n_before
    with pytest.raises(DataValidationError, match="repeat_days must be a whole number"):
        rm.compare(sample, ROLLOUT, ["repeat_contacts"], repeat_days=0)


def test_overall_clusters_a_customer_across_channels(sample: rm.Dataset,
                                                     by_channel: pd.DataFrame) -> None:
    overall = rm.compare(sample, ROLLOUT, ["repeat_contacts"])
    pd.testing.assert_series_equal(_row(overall)[["ci_low", "ci_high", "p_value"]],
                                   _row(by_channel)[["ci_low", "ci_high", "p_value"]],
                                   check_names=False)


def test_same_numbers_on_every_engine(sample_frames: dict[str, pd.DataFrame],
                                      sample: rm.Dataset) -> None:
    reference = rm.compare(sample, ROLLOUT, ["repeat_contacts"], by=["channel", "tier"])
    for convert in (lambda f: f, pl.from_pandas, lambda f: duckdb.from_df(f)):
        data = rm.load_dataset({k: convert(v) for k, v in sample_frames.items()})
        pd.testing.assert_frame_equal(
            rm.compare(data, ROLLOUT, ["repeat_contacts"], by=["channel", "tier"]), reference,
            check_exact=False, rtol=1e-12, atol=1e-12)


def test_in_the_report(sample: rm.Dataset) -> None:
    rep = rm.build_report(sample, ROLLOUT, ["repeat_contacts"], by="channel",
                          guardrails=["repeat_contacts[phone].delta > 5"])
    assert "% of tickets" in rep.html() and rep.breaches.empty
