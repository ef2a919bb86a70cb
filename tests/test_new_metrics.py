"""First-response time and contact rate: reference values from R, censoring, bad input, engines.

Reference values come from ``tests/r/new_metrics_sample.R``, which reads the bundled sample's
CSV files without the package (case ids FR-1, CR-1, CR-2 below).
"""

from __future__ import annotations

import duckdb
import pandas as pd
import polars as pl
import pytest

import rollout_metrics as rm
from rollout_metrics import MissingColumnError
from rollout_metrics.comparison import default_metrics
from rollout_metrics.infer.rates import _diff_at

ROLLOUT = rm.Rollout("2025-09-01", announced="2025-08-11")
NEW = ["first_response_time", "contact_rate"]


def _row(t: pd.DataFrame, metric: str, segment: str = "overall") -> pd.Series:
    rows = t[(t.metric == metric) & (t.segment == segment)
             & (t.comparison == "after_vs_before")]
    return rows.iloc[0]


@pytest.mark.parametrize(("stat", "before", "after"), [
    ("median", 0.900000000000, 0.916666666667),  # FR-1, R quantile(type = 7) / 60
    ("p90", 3.016666666667, 3.148333333333),
])
def test_first_response_quantiles_match_r(sample: rm.Dataset, stat: str, before: float,
                                          after: float) -> None:
    t = rm.compare(sample, ROLLOUT, ["first_response_time"], handling_stat=stat,
                   n_resamples=500)
    row = _row(t, "first_response_time")
    # FR-1: 6,360 and 6,232 answered tickets, none unanswered
    assert (row.n_before, row.n_after) == (6360, 6232)
    assert row.before == pytest.approx(before, abs=1e-9)
    assert row.after == pytest.approx(after, abs=1e-9)
    assert row.status == "ok"
    assert row.ci_low <= row.delta <= row.ci_high


def test_contact_rate_matches_r(sample: rm.Dataset) -> None:
    t = rm.compare(sample, ROLLOUT, ["contact_rate"], by="channel")
    # CR-1: all tickets over active customer-days; phi 0.807 <= 1, so the exact test
    # (R poisson.test(c(6232, 6360), c(229449, 229135)): p = 0.225525285332)
    row = _row(t, "contact_rate")
    assert (row.n_before, row.n_after) == (6360, 6232)
    assert row.before == pytest.approx(832.696881750933, rel=1e-12)
    assert row.after == pytest.approx(814.821594341226, rel=1e-12)
    assert row.method == "poisson_exact_conditional"
    assert row.p_value == pytest.approx(0.225525285332, rel=1e-9)
    # CR-2: chat tickets over all customers' active days; phi 1.0527 > 1, so quasi-Poisson
    # with weekday terms (R glm to 1e-14, phi by hand): ratio CI [0.906923499602,
    # 1.053165502133],
    # p = 0.543980437294 (t, 104 df)
    chat = _row(t, "contact_rate", "chat")
    assert chat.before == pytest.approx(196.128919632531, rel=1e-12)
    assert chat.after == pytest.approx(191.676581724043, rel=1e-12)
    assert chat.method == "quasi_poisson_glm_t" and "overdispersed" in chat.status
    assert chat.p_value == pytest.approx(0.543980437294, rel=1e-9)
    total, e_b, e_a = 1498 + 1466, 229135.0, 229449.0
    assert chat.ci_low == pytest.approx(30000 * _diff_at(0.906923499602, total, e_b, e_a),
                                        rel=1e-9)
    assert chat.ci_high == pytest.approx(30000 * _diff_at(1.053165502133, total, e_b, e_a),
                                         rel=1e-9)


def test_contact_rate_counts_every_ticket(sample: rm.Dataset) -> None:
    # Complaints are a subset of the contacts, on the same exposure.
    t = rm.compare(sample, ROLLOUT, ["contact_rate", "complaints"], by="tier")
    for segment in ("overall", "VIP", "new", "regular"):
        contacts, complaints = _row(t, "contact_rate", segment), _row(t, "complaints", segment)
        assert contacts.n_before > complaints.n_before
        assert contacts.before / contacts.n_before == pytest.approx(
            complaints.before / complaints.n_before, rel=1e-12)  # same exposure


def test_unanswered_tickets_are_censored_and_counted(
        sample_frames: dict[str, pd.DataFrame]) -> None:
    tickets = sample_frames["tickets"].copy()
    unanswered = tickets.sample(frac=0.05, random_state=1).index
    tickets.loc[unanswered, "first_response_at"] = None
    data = rm.load_dataset({"customers": sample_frames["customers"], "tickets": tickets})
    row = _row(rm.compare(data, ROLLOUT, ["first_response_time"], n_resamples=200),
               "first_response_time")
    assert "censoring" in row.status
    # n counts the answered tickets only; the unanswered are left out and counted
    full = _row(rm.compare(rm.load_sample(), ROLLOUT, ["first_response_time"],
                           n_resamples=200), "first_response_time")
    assert row.n_before < full.n_before and row.n_after < full.n_after
    assert "never answered are censored" in rm.get_metric("first_response_time").method


def test_missing_first_response_column(sample_frames: dict[str, pd.DataFrame]) -> None:
    data = rm.load_dataset({"customers": sample_frames["customers"],
                            "surveys": sample_frames["surveys"],
                            "tickets": sample_frames["tickets"].drop(
                                columns="first_response_at")})
    with pytest.raises(MissingColumnError, match=r"first_response_time: the tickets table has "
                       r"no 'first_response_at' column, which this metric needs"):
        rm.compare(data, ROLLOUT, ["first_response_time"])
    # By default the metric is left out, with a warning naming the column.
    with pytest.warns(UserWarning, match=r"left out of the default metrics: "
                      r"first_response_time: .*'first_response_at'"):
        names = default_metrics(data)
    assert "first_response_time" not in names and "contact_rate" in names


def test_new_metrics_are_defaults_in_one_family(sample: rm.Dataset) -> None:
    t = rm.compare(sample, rm.Rollout("2025-09-01"))
    order = list(dict.fromkeys(t.metric))
    assert order[order.index(NEW[0]):][:2] == NEW
    alone = rm.compare(sample, rm.Rollout("2025-09-01"), NEW)
    assert t.p_adjusted.notna().sum() == 11 and alone.p_adjusted.notna().sum() == 2


def test_same_numbers_on_every_engine(sample_frames: dict[str, pd.DataFrame],
                                      sample: rm.Dataset) -> None:
    reference = rm.compare(sample, ROLLOUT, NEW, by="channel", n_resamples=300)
    for convert in (lambda f: f, pl.from_pandas, lambda f: duckdb.from_df(f)):
        data = rm.load_dataset({k: convert(v) for k, v in sample_frames.items()})
        pd.testing.assert_frame_equal(rm.compare(data, ROLLOUT, NEW, by="channel",
                                                 n_resamples=300), reference,
                                      check_exact=False, rtol=1e-12, atol=1e-12)
