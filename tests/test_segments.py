"""Customer segments travel as one integer code through the reductions; decoding is exact."""

from __future__ import annotations

import pandas as pd
import pandas.testing as pdt
import pytest

import rollout_metrics as rm
from rollout_metrics.reduce import counts as reduce
from rollout_metrics.reduce import segments
from rollout_metrics.reduce.segments import MISSING, attach_segments

ROLLOUT = rm.Rollout("2025-09-01", announced="2025-08-11")
BYS = [["tier"], ["tier", "region", "plan"], ["channel", "tier"], ["tenure_band", "plan"]]


def _reductions(data: rm.Dataset, by: list[str]) -> dict[str, pd.DataFrame]:
    out = {"tickets": reduce.ticket_counts(data, ROLLOUT, by),
           "handling": reduce.handling_counts(data, ROLLOUT, by)}
    if "channel" not in by:
        out["surveys"] = reduce.survey_counts(data, ROLLOUT, by)
    return out


@pytest.mark.parametrize("by", BYS, ids=["-".join(b) for b in BYS])
def test_coded_and_text_segments_give_identical_reductions(
    by: list[str], sample: rm.Dataset, monkeypatch: pytest.MonkeyPatch,
) -> None:
    coded = _reductions(sample, by)
    monkeypatch.setattr(segments, "MAX_CODED_SEGMENTS", 0)   # forces the joined code table
    # A fresh dataset: the shared one has the coded reductions memoised.
    text = _reductions(rm.load_sample(), by)
    for name in coded:
        pdt.assert_frame_equal(coded[name], text[name], check_dtype=False, obj=name)


def test_codes_are_used_and_decoded_with_missing_values() -> None:
    customers = pd.DataFrame({"customer_id": [1, 2, 3], "tier": ["VIP", None, "new"],
                              "signup_date": ["2024-01-01"] * 3})
    tickets = pd.DataFrame({"ticket_id": [1, 2, 3, 4], "customer_id": [1, 2, 2, 3],
                            "created_at": ["2025-09-02 10:00:00"] * 4})
    data = rm.load_dataset({"customers": customers, "tickets": tickets})
    seg = attach_segments(rm.Reductions(data), "tickets", ["tier"], ROLLOUT, metric="complaints")
    assert seg.keys == ["__seg"]
    assert sorted(seg.labels["tier"]) == sorted([MISSING, "VIP", "new"])
    counts = reduce.ticket_counts(data, ROLLOUT, ["tier"])
    assert dict(zip(counts["tier"], counts["tickets"], strict=True)) == {
        "VIP": 1, MISSING: 2, "new": 1}


def test_a_code_outside_the_labels_is_an_error_not_a_wrong_label() -> None:
    seg = segments.Segmented(frame=None, keys=["__seg"], by=["tier"],  # type: ignore[arg-type]
                             labels=pd.DataFrame({"tier": ["VIP", "new"]}))
    with pytest.raises(RuntimeError, match="outside the 2 known"):
        seg.decode(pd.DataFrame({"day": [0, 1], "__seg": [0, -1], "tickets": [3, 4]}), ["day"])


@pytest.mark.parametrize("engine", ["pandas", "polars", "duckdb"])
def test_a_column_of_many_values_is_coded_by_a_join(engine: str) -> None:
    # 250 cities would nest 250 conditions in a CASE chain (RecursionError before).
    import duckdb
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(0)
    n = 1000
    customers = pd.DataFrame({"customer_id": range(n), "signup_date": ["2024-01-01"] * n,
                              "city": [f"city {i % 250:03d}" for i in range(n)]})
    tickets = pd.DataFrame({
        "ticket_id": range(4 * n), "customer_id": rng.integers(0, n, 4 * n),
        "created_at": (pd.Timestamp("2025-07-01") + pd.to_timedelta(
            rng.integers(0, 120 * 24, 4 * n), unit="h")).astype(str),
        "is_complaint": rng.random(4 * n) < 0.2})
    convert = {"pandas": lambda d: d, "polars": pl.from_pandas, "duckdb": duckdb.from_df}
    data = rm.load_dataset({"customers": convert[engine](customers),
                            "tickets": convert[engine](tickets)})
    counts = reduce.ticket_counts(data, ROLLOUT, ["city"])
    assert counts["city"].nunique() == 250
    expected = tickets.assign(day=0).merge(customers, on="customer_id")
    inside = (expected["created_at"] >= "2025-06-16") & (expected["created_at"] < "2025-10-27")
    assert counts.groupby("city")["tickets"].sum().to_dict() == \
        expected[inside].groupby("city").size().to_dict()


@pytest.mark.parametrize("engine", ["pandas", "polars", "duckdb"])
def test_half_minutes_round_up_on_every_engine(engine: str) -> None:
    import duckdb
    import polars as pl

    customers = pd.DataFrame({"customer_id": [1], "signup_date": ["2024-01-01"]})
    tickets = pd.DataFrame({
        "ticket_id": [1, 2, 3, 4], "customer_id": [1] * 4,
        "created_at": ["2025-09-02 10:00:00"] * 4,
        "resolved_at": ["2025-09-02 10:02:30", "2025-09-02 10:03:30", "2025-09-02 10:02:29",
                        "2025-09-02 10:00:30"]})
    convert = {"pandas": lambda d: d, "polars": pl.from_pandas, "duckdb": duckdb.from_df}
    data = rm.load_dataset({"customers": convert[engine](customers),
                            "tickets": convert[engine](tickets)})
    counts = reduce.handling_counts(data, ROLLOUT, [])
    assert dict(zip(counts["minutes"].astype(int), counts["tickets"], strict=True)) == {
        1: 1, 2: 1, 3: 1, 4: 1}


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_reserved_labels_never_collide_with_data_values(engine: str,
                                                        sample_frames: dict[str, pd.DataFrame]
                                                        ) -> None:
    import duckdb

    customers = sample_frames["customers"].copy()
    tier = customers["tier"].astype(object)
    tier[customers["tier"] == "new"] = "overall"
    tier[customers.index % 50 == 0] = "(missing)"
    tier[customers.index % 50 == 1] = None
    customers["tier"] = tier
    frames = {**sample_frames, "customers": customers}
    if engine == "duckdb":
        frames = {k: duckdb.from_df(v) for k, v in frames.items()}
    t = rm.compare(rm.load_dataset(frames), ROLLOUT, ["nps"], by="tier")
    after = t[t["comparison"] == "after_vs_before"]
    assert (after["segment"] == "overall").sum() == 1
    assert set(after["segment"]) == {"overall", '"overall"', "(missing)", '"(missing)"',
                                     "VIP", "regular"}


def test_empty_tables_give_a_period_error_not_a_crash() -> None:
    customers = pd.DataFrame({"customer_id": pd.Series([], dtype="int64"),
                              "signup_date": pd.Series([], dtype="str"),
                              "tier": pd.Series([], dtype="str")})
    surveys = pd.DataFrame({"customer_id": pd.Series([], dtype="int64"),
                            "responded_at": pd.Series([], dtype="str"),
                            "nps_score": pd.Series([], dtype="float")})
    data = rm.load_dataset({"customers": customers, "surveys": surveys})
    for by in (None, "tier"):
        with pytest.raises(rm.PeriodError, match=r"nps: the before period .* has no surveys"):
            rm.compare(data, ROLLOUT, ["nps"], by=by)


def _typed_segments(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    customers = frames["customers"].copy()
    customers["vip"] = (customers["tier"] == "VIP").astype(object)
    customers.loc[customers.index % 40 == 0, "vip"] = None
    customers["vip"] = customers["vip"].astype("boolean")
    signup = pd.to_datetime(customers["signup_date"])
    # midnight timestamps (written as dates) and a few with a time of day
    customers["cohort"] = signup.dt.to_period("Q").dt.to_timestamp()
    customers.loc[customers.index % 500 == 3, "cohort"] += pd.Timedelta(hours=10, minutes=30)
    return {"customers": customers, "surveys": frames["surveys"]}


EXPECTED_VIP = {"True", "False", MISSING}


@pytest.mark.parametrize("engine", ["pandas", "polars", "duckdb"])
def test_boolean_and_timestamp_segments_are_spelled_the_same_on_every_engine(
        engine: str, sample_frames: dict[str, pd.DataFrame]) -> None:
    # Before, a boolean segment read True on pandas and true on DuckDB, and a timestamp
    # 2024-01-01 on one engine and 2024-01-01 00:00:00.000000 on another, so a guardrail
    # such as nps[True] matched on one engine only.
    import duckdb
    import polars as pl

    frames = _typed_segments(sample_frames)
    convert = {"pandas": lambda d: d, "polars": pl.from_pandas, "duckdb": duckdb.from_df}
    data = rm.load_dataset({k: convert[engine](v) for k, v in frames.items()})
    t = rm.compare(data, ROLLOUT, ["nps"], by=[["vip"], ["cohort"]])
    after = t[(t["comparison"] == "after_vs_before") & (t["segment"] != "overall")]
    assert set(after.loc[after["by"] == "vip", "segment"]) == EXPECTED_VIP
    cohorts = set(after.loc[after["by"] == "cohort", "segment"])
    assert "2019-01-01" in cohorts
    assert any(c.endswith(" 10:30:00") for c in cohorts), sorted(cohorts)[:5]
    assert all(len(c) in (10, 19) for c in cohorts), sorted(cohorts)[:5]
    reference = rm.compare(rm.load_dataset(frames), ROLLOUT, ["nps"], by=[["vip"], ["cohort"]])
    pd.testing.assert_series_equal(t["segment"], reference["segment"])
