"""Handling-time quantiles clustered by customer: the engine's second pass
(``reduce/quantiles.py``) against raw rows, against R (``tests/r/handling_clusters.R``, cases
HC-1 to HC-4), on every engine, and in ``compare``'s rows."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pytest

import rollout_metrics as rm
from rollout_metrics.infer.ranks import cluster_scale, quantile_diff
from rollout_metrics.metrics import MetricOptions, get_metric
from rollout_metrics.reduce.quantiles import quantile_moments
from rollout_metrics.stats.periods import period_table
from rollout_metrics.stats.sufficient import ClusteredCounts

HERE = Path(__file__).parent / "r"
ROLLOUT = rm.Rollout("2025-09-01")  # before [2025-07-07, 2025-09-01), after to 2025-10-27

#: Rscript tests/r/handling_clusters.R: (case, by, segment, q, thresholds, F, d, r, factor at
#: (v_b, v_a) = (1, 1) and (1, 2)).
R_CASES = [
    ("HC-1", [], "overall", 0.5, (24.5, 28.0), (0.5000000000, 0.5138121547),
     (2.1226053640, 2.2616955511), 0.3518765785, 1.1921293234, 1.2200192621),
    ("HC-2", ["tier"], "VIP", 0.5, (23.0, 30.0), (0.5090909091, 0.5200000000),
     (1.6200096200, 1.3499145299), 0.4785746844, 0.8816131650, 0.8790342011),
    ("HC-3", ["channel"], "chat", 0.5, (24.5, 28.0), (0.5000000000, 0.5205992509),
     (1.8000000000, 1.8357347830), 0.3671818851, 1.0725724487, 1.0929500849),
    ("HC-4", [], "overall", 0.9, (82.9, 85.8), (0.8984674330, 0.8987108656),
     (1.2866414280, 1.8040759922), 0.2746234475, 1.0615821540, 1.1122610204),
]


def _frames() -> dict[str, pd.DataFrame]:
    return {"customers": pd.read_csv(HERE / "handling_clusters_customers.csv"),
            "tickets": pd.read_csv(HERE / "handling_clusters_tickets.csv")}


@pytest.fixture(scope="module")
def data() -> rm.Dataset:
    return rm.load_dataset(_frames())


def _cells(data: rm.Dataset, by: list[str], segment: str, q: float
           ) -> tuple[ClusteredCounts, ClusteredCounts]:
    stat = "mean" if math.isnan(q) else {0.5: "median", 0.9: "p90"}[q]
    t = period_table(data, ROLLOUT, get_metric("handling_time"), by,
                     MetricOptions(handling_stat=stat))
    i = 0 if segment == "overall" else t.keys.index((segment,))
    b, a = t.cell(i, "before"), t.cell(i, "after")
    assert isinstance(b, ClusteredCounts) and isinstance(a, ClusteredCounts)
    return b, a


@pytest.mark.parametrize(("case", "by", "segment", "q", "limits", "f", "d", "r", "s11", "s12"),
                         R_CASES, ids=[c[0] for c in R_CASES])
def test_matches_r(data: rm.Dataset, case: str, by: list[str], segment: str, q: float,
                   limits: tuple[float, float], f: tuple[float, float],
                   d: tuple[float, float], r: float, s11: float, s12: float) -> None:
    b, a = _cells(data, by, segment, q)
    assert (b.quantile(q), a.quantile(q)) == pytest.approx(limits, abs=1e-9)
    assert b.clusters is not None and a.clusters is not None
    assert (b.clusters.ratio, a.clusters.ratio) == pytest.approx(f, abs=1e-9)
    assert cluster_scale(b.clusters, a.clusters, 1.0, 1.0) == pytest.approx(s11, abs=1e-9)
    assert cluster_scale(b.clusters, a.clusters, 1.0, 2.0) == pytest.approx(s12, abs=1e-9)
    # The design effects and correlation behind the factor: with v_a = 0 the factor is
    # sqrt(d_b), with v_b = 0 sqrt(d_a) (both periods need spread, so take a tiny one).
    assert cluster_scale(b.clusters, a.clusters, 1.0, 1e-18) ** 2 == pytest.approx(
        d[0], rel=1e-6)
    assert cluster_scale(b.clusters, a.clusters, 1e-18, 1.0) ** 2 == pytest.approx(
        d[1], rel=1e-6)


def _raw_moments(frames: dict[str, pd.DataFrame], by: list[str],
                 limits: dict[tuple[Any, ...], dict[str, float]]) -> pd.DataFrame:
    """The second pass in plain pandas on the raw rows."""
    t = frames["tickets"].merge(frames["customers"][["customer_id", "tier"]], on="customer_id")
    created = pd.to_datetime(t["created_at"])
    t["minutes"] = np.floor((pd.to_datetime(t["resolved_at"]) - created).dt.total_seconds()
                            / 60.0 + 0.5)
    t["period"] = None
    for p, (lo, hi) in ROLLOUT.windows().items():
        t.loc[(created >= lo) & (created < hi), "period"] = p
    t = t[t["period"].notna() & t["minutes"].notna()]
    key = t[by].apply(tuple, axis=1) if by else pd.Series([()] * len(t), index=t.index)
    t["limit"] = [limits.get(k, {}).get(p, math.nan) for k, p in zip(key, t["period"],
                                                                     strict=True)]
    rows = []
    for p in ROLLOUT.windows():
        t[f"y_{p}"] = ((t["period"] == p) & (t["minutes"] <= t["limit"])).astype(float)
        t[f"n_{p}"] = (t["period"] == p).astype(float)
        rows += [f"y_{p}", f"n_{p}"]
    per = t.groupby(["customer_id", *by])[rows].sum().reset_index()
    per["y_before*n_after"] = per["y_before"] * per["n_after"]
    per["n_before*n_before"] = per["n_before"] ** 2
    return per.groupby(by)[[*rows, "y_before*n_after", "n_before*n_before"]].sum(
        ).reset_index() if by else per[[*rows, "y_before*n_after", "n_before*n_before"]].sum(
        ).to_frame().T


@pytest.mark.parametrize("by", [[], ["tier"], ["tier", "channel"]])
def test_second_pass_matches_raw_rows(data: rm.Dataset, by: list[str]) -> None:
    frames = _frames()
    keys = [()] if not by else [tuple(k) for k in frames["tickets"].merge(
        frames["customers"], on="customer_id")[by].drop_duplicates().itertuples(
        index=False, name=None)]
    limits = {k: {"before": 20.0 + i, "after": 30.0 - i} for i, k in enumerate(keys)}
    ours, whole = quantile_moments(data, ROLLOUT, by, measure="resolution", thresholds=limits,
                                   overall={"before": 25.0, "after": 26.0} if by else None)
    raw = _raw_moments(frames, by, limits)
    if by:  # the overall row from the same scan, regrouped by customer
        assert whole is not None
        expected = _raw_moments(frames, [], {(): {"before": 25.0, "after": 26.0}})
        for c in ("y_before", "n_before", "y_after", "n_after", "y_before*n_after",
                  "n_before*n_before"):
            assert float(whole[c].iloc[0]) == pytest.approx(float(expected[c].iloc[0]),
                                                            abs=1e-12)
    cols = ["y_before", "n_before", "y_after", "n_after", "y_before*n_after",
            "n_before*n_before"]
    merged = ours.merge(raw, on=by, suffixes=("", "_raw")) if by else pd.concat(
        [ours.reset_index(drop=True), raw.add_suffix("_raw").reset_index(drop=True)], axis=1)
    assert len(merged) == len(raw) == len(ours)
    for c in cols:
        np.testing.assert_allclose(merged[c], merged[f"{c}_raw"].astype(float), atol=1e-12)


def test_every_engine_gives_the_same_rows() -> None:
    frames = _frames()
    by = [["tier"], ["channel"]]
    reference = rm.compare(rm.load_dataset(frames), ROLLOUT, ["handling_time"], by=by)
    assert reference["method"].str.endswith("_clustered").all()
    for convert in (pl.from_pandas, lambda f: duckdb.from_df(f)):
        data = rm.load_dataset({k: convert(v) for k, v in frames.items()})
        pd.testing.assert_frame_equal(rm.compare(data, ROLLOUT, ["handling_time"], by=by),
                                      reference, check_exact=False, rtol=1e-12, atol=1e-12)


#: Rscript tests/r/handling_clusters.R: the mean handling time, a ratio of sums clustered by
#: customer (case, segment, customers before/after, before, after, SE in hours, p).
R_MEAN_CASES = [
    ("HC-5", "overall", (150, 159), 0.6373243934, 0.6788827502, 0.0461867267, 0.3682319944),
    ("HC-6", "std", (101, 112), 0.6490196078, 0.6698897371, 0.0609728928, 0.7321361437),
]


@pytest.mark.parametrize(("case", "segment", "customers", "before", "after", "se", "p"),
                         R_MEAN_CASES, ids=[c[0] for c in R_MEAN_CASES])
def test_mean_matches_r(data: rm.Dataset, case: str, segment: str, customers: tuple[int, int],
                        before: float, after: float, se: float, p: float) -> None:
    t = rm.compare(data, ROLLOUT, ["handling_time"], by="tier", handling_stat="mean")
    row = t[(t["segment"] == segment) & (t["comparison"] == "after_vs_before")].iloc[0]
    assert row["method"] == "ratio_of_sums_clustered_wald"  # status: 5% open, partial window
    assert (row["before"], row["after"]) == pytest.approx((before, after), abs=1e-9)
    half = (row["ci_high"] - row["ci_low"]) / 2
    assert half / 1.959963984540054 == pytest.approx(se, rel=1e-7)
    assert row["p_value"] == pytest.approx(p, rel=1e-7)
    b, a = _cells(data, [] if segment == "overall" else ["tier"], segment, math.nan)
    assert (b.clusters.n, a.clusters.n) == customers  # type: ignore[union-attr]


def test_rows_say_clustered_and_agree_with_their_interval(data: rm.Dataset) -> None:
    for stat in ("median", "p90"):
        t = rm.compare(data, ROLLOUT, ["handling_time"], by="tier", handling_stat=stat)
        tested = t[t["status"] != "insufficient_data"]
        assert len(tested) and tested["method"].str.endswith("bootstrap_clustered").all()
        excludes = (tested["ci_low"] > 0) | (tested["ci_high"] < 0)
        assert ((tested["p_value"] < 0.05) == excludes).all()
    # the mean: a ratio of sums clustered by customer (Welch only without clusters)
    mean = rm.compare(data, ROLLOUT, ["handling_time"], handling_stat="mean")
    assert (mean["method"] == "ratio_of_sums_clustered_wald").all()


def test_clustering_widens_the_interval_where_customers_repeat(data: rm.Dataset) -> None:
    b, a = _cells(data, [], "overall", 0.5)
    plain = quantile_diff(b, a, seed=3)
    clustered = quantile_diff(b, a, seed=3, clusters=(b.clusters, a.clusters))  # type: ignore[arg-type]
    scale = clustered.extra["cluster_scale"]
    assert scale == pytest.approx(1.1921293234, rel=0.05)  # HC-1 at the bootstrap's variances
    assert clustered.ci_high - clustered.ci_low > plain.ci_high - plain.ci_low
    assert clustered.estimate == plain.estimate


def test_pooled_cells_fall_back_to_independent_tickets(data: rm.Dataset) -> None:
    b, _ = _cells(data, [], "overall", 0.5)
    pooled = b + b
    assert not isinstance(pooled, ClusteredCounts)
