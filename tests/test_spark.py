"""The same analysis on a local Spark session gives the same numbers as pandas (to 1e-9).

Runs in `make test` (the `spark` extra is installed there; Java 17 is on the machines).
Skipped with a reason only when pyspark or Java is missing.
"""

from __future__ import annotations

import shutil
from typing import Any

import pandas as pd
import pytest

import rollout_metrics as rm
from rollout_metrics import DataValidationError, MissingColumnError
from rollout_metrics.load.dataset import sample_path

pyspark = pytest.importorskip("pyspark", reason="the spark extra is not installed")
if shutil.which("java") is None:  # pragma: no cover - machines have Java 17
    pytest.skip("Java is not installed", allow_module_level=True)

pytestmark = pytest.mark.spark
SAMPLE = sample_path()
ROLLOUT = rm.Rollout("2025-09-01", announced="2025-08-11")


@pytest.fixture(scope="module")
def spark_data(spark: Any) -> rm.Dataset:
    frames = {t: spark.read.csv(str(SAMPLE / f"{t}.csv"), header=True, inferSchema=True)
              for t in ("customers", "surveys", "tickets", "orders")}
    return rm.load_dataset(frames)


def test_quality_counts_match_pandas(spark_data: rm.Dataset, sample: rm.Dataset) -> None:
    pd.testing.assert_frame_equal(spark_data.quality[["table", "rule", "column", "rows"]],
                                  sample.quality[["table", "rule", "column", "rows"]])
    pd.testing.assert_frame_equal(spark_data.rows, sample.rows)


def test_compare_matches_pandas(spark_data: rm.Dataset, sample: rm.Dataset) -> None:
    got = rm.compare(spark_data, ROLLOUT, by="tier")
    expected = rm.compare(sample, ROLLOUT, by="tier")
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-9, atol=1e-9)


def test_ticket_segment_matches_pandas(spark_data: rm.Dataset, sample: rm.Dataset) -> None:
    got = rm.compare(spark_data, ROLLOUT, metrics=["handling_time", "complaints"], by="channel")
    expected = rm.compare(sample, ROLLOUT, metrics=["handling_time", "complaints"], by="channel")
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-9, atol=1e-9)
    # the handling-time rows went through the second pass (clustered by customer) on Spark
    handling = got[got["metric"] == "handling_time"]
    assert handling["method"].str.endswith("_clustered").all()


@pytest.mark.parametrize("by", ["channel", "tier"])
def test_new_ticket_metrics_match_pandas(spark_data: rm.Dataset, sample: rm.Dataset,
                                         by: str) -> None:
    # first-response time, contact rate, the contact share (a join of per-customer flags) and
    # repeat contacts (a window function over each customer's tickets)
    names = ["first_response_time", "contact_rate", "contact_share", "repeat_contacts"]
    got = rm.compare(spark_data, ROLLOUT, metrics=names, by=by, n_resamples=300)
    expected = rm.compare(sample, ROLLOUT, metrics=names, by=by, n_resamples=300)
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-9, atol=1e-9)


def test_user_defined_metrics_match_pandas(spark_data: rm.Dataset, sample: rm.Dataset
                                           ) -> None:
    # one of each table: the daily proportion and rate, the clustered ratio per row and per
    # customer, and the share over active customers
    defined = {
        "chat_share": dict(table="tickets", kind="proportion", column="channel",
                           values=["chat"], direction=1),
        "chat_tickets": dict(table="tickets", kind="ratio", column="channel",
                             values=["chat"], direction=1),
        "detractors": dict(table="surveys", kind="rate", column="nps_score",
                           values=list(range(7)), direction=-1),
        "order_mean": dict(table="orders", kind="mean", column="amount", direction=1),
        "vip_share": dict(table="customers", kind="proportion", column="tier",
                          values=["VIP"], direction=1),
    }
    try:
        for name, kw in defined.items():
            rm.define_metric(name, replace=True, **kw)  # type: ignore[arg-type]
        got = rm.compare(spark_data, ROLLOUT, list(defined), by="region")
        expected = rm.compare(sample, ROLLOUT, list(defined), by="region")
    finally:
        for name in defined:
            rm.unregister_metric(name)
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-9, atol=1e-9)


def test_text_timestamps_and_scores_are_parsed(spark: Any) -> None:
    customers = spark.createDataFrame(
        [(1, "2024-01-01"), (2, "2024-02-01")], "customer_id INT, signup_date STRING")
    surveys = spark.createDataFrame(
        [(1, "2025-01-10 10:00:00", "9"), (2, "not a date", "7"), (1, "2025-01-11", "high")],
        "customer_id INT, responded_at STRING, nps_score STRING")
    data = rm.load_dataset({"customers": customers, "surveys": surveys})
    rules = dict(zip(data.quality["rule"], data.quality["rows"], strict=True))
    assert rules == {"unparseable responded_at": 1, "unparseable nps_score": 1}


def test_missing_column_error_is_the_same(spark: Any, tiny: dict[str, pd.DataFrame]) -> None:
    bad = tiny["surveys"].drop(columns="responded_at")
    frames = {"customers": spark.createDataFrame(tiny["customers"].astype(str)),
              "surveys": spark.createDataFrame(bad)}
    with pytest.raises(MissingColumnError, match=r"surveys: required column 'responded_at'"):
        rm.load_dataset(frames)


def test_out_of_range_score_is_counted_the_same(spark: Any, tiny: dict[str, pd.DataFrame]
                                                ) -> None:
    surveys = tiny["surveys"].assign(nps_score=[9, 11])
    frames = {"customers": spark.createDataFrame(tiny["customers"].astype(str)),
              "surveys": spark.createDataFrame(surveys)}
    data = rm.load_dataset(frames)
    assert data.quality["rule"].tolist() == ["nps_score outside 0-10"]
    with pytest.raises(DataValidationError, match=r"1 rows break the rule 'nps_score outside"):
        rm.load_dataset(frames, strict=True)


@pytest.mark.parametrize("metric", ["csat", "complaints", "handling_time"])
def test_its_metric_matches_pandas(spark_data: rm.Dataset, sample: rm.Dataset,
                                   metric: str) -> None:
    got = rm.its_metric(spark_data, ROLLOUT, metric).table
    expected = rm.its_metric(sample, ROLLOUT, metric).table
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-9, atol=1e-9)


def test_boolean_and_timestamp_segments_match_pandas(spark: Any,
                                                     sample_frames: dict[str, pd.DataFrame]
                                                     ) -> None:
    from test_segments import _typed_segments

    frames = _typed_segments(sample_frames)
    # typed timestamps, as spark.read.csv(inferSchema=True) gives them
    surveys = frames["surveys"].assign(
        responded_at=pd.to_datetime(frames["surveys"]["responded_at"]))
    customers = frames["customers"].astype({"vip": object})
    data = rm.load_dataset({"customers": spark.createDataFrame(customers),
                            "surveys": spark.createDataFrame(surveys)})
    got = rm.compare(data, ROLLOUT, ["nps"], by=[["vip"], ["cohort"]])
    want = rm.compare(rm.load_dataset(frames), ROLLOUT, ["nps"], by=[["vip"], ["cohort"]])
    pd.testing.assert_series_equal(got["segment"], want["segment"])


def _spark_quality(spark: Any, surveys: pd.DataFrame, **kw: Any) -> list[tuple[str, int]]:
    customers = spark.createDataFrame(
        [("1", "2024-01-01"), ("2", "2024-02-01")], "customer_id STRING, signup_date STRING")
    data = rm.load_dataset({"customers": customers,
                            "surveys": spark.createDataFrame(surveys.astype(str))}, **kw)
    return list(zip(data.quality["rule"], data.quality["rows"].astype(int), strict=True))


def test_text_scores_and_timestamps_are_read_as_on_other_engines(spark: Any) -> None:
    # One load per value is a Spark job each: every value in one table, one row per value,
    # each counted under the rule tests/test_engine_agreement.py finds on the other engines.
    from test_engine_agreement import SCORES, TIMESTAMPS

    surveys = pd.DataFrame({"customer_id": "1", "responded_at": "2025-01-10",
                            "nps_score": [v for v, _ in SCORES]})
    want: dict[str, int] = {}
    for _, expected in SCORES:
        for rule, n in expected:
            want[rule] = want.get(rule, 0) + n
    assert dict(_spark_quality(spark, surveys)) == want
    stamps = pd.DataFrame({"customer_id": "1", "nps_score": "8",
                           "responded_at": [v for v, _ in TIMESTAMPS] + ["2025-01-11"] * 10})
    want = {}
    for _, expected in TIMESTAMPS:
        for rule, n in expected:
            want[rule] = want.get(rule, 0) + n
    assert dict(_spark_quality(spark, stamps)) == want


def test_offsets_are_converted_as_on_other_engines(spark: Any) -> None:
    from test_engine_agreement import AWARE

    values = list(AWARE)
    surveys = pd.DataFrame({"customer_id": "1", "responded_at": values,
                            "nps_score": [str(i) for i in range(len(values))]})
    customers = spark.createDataFrame([("1", "2024-01-01")], "customer_id STRING, "
                                      "signup_date STRING")
    data = rm.load_dataset({"customers": customers, "surveys": spark.createDataFrame(surveys)},
                           timezone="Europe/Berlin")
    assert data.quality["rule"].tolist() == ["mixed naive/aware timestamps in responded_at"]
    kept = data.table("surveys").collect().to_pandas()
    got = {values[int(s)]: str(t) for s, t in zip(kept["nps_score"], kept["responded_at"],
                                                   strict=True)}
    assert got == {k: v for k, v in AWARE.items() if v is not None}


def test_text_timestamps_from_csv_give_the_pandas_numbers(spark: Any, sample: rm.Dataset
                                                          ) -> None:
    # spark.read.csv without inferSchema: every column is text
    frames = {t: spark.read.csv(str(SAMPLE / f"{t}.csv"), header=True)
              for t in ("customers", "surveys", "tickets", "orders")}
    data = rm.load_dataset(frames)
    pd.testing.assert_frame_equal(data.rows, sample.rows)
    got = rm.compare(data, ROLLOUT, by="tier", n_resamples=300)
    expected = rm.compare(sample, ROLLOUT, by="tier", n_resamples=300)
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-9, atol=1e-9)
