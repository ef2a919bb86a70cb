"""Tests of difference-in-differences (rollout_metrics.designs.did)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from design_reference_cases import DID_CARD_KRUEGER_TABLE3
from rollout_metrics.designs._common import DESIGN_COLUMNS
from rollout_metrics.designs.did import DidResult, did, did_from_summary
from rollout_metrics.errors import (
    DataValidationError,
    InsufficientDataError,
    MissingColumnError,
    PeriodError,
)
from rollout_metrics.infer.multiple import adjust_pvalues

UNITS = [f"u{i:02d}" for i in range(16)]
TREATED = UNITS[:6]
CHANGE = "2024-02-01"


def _panel(effect: float = 0.0, trend_gap: float = 0.0, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2024-01-04", periods=56, freq="D")
    day = pd.Series(rng.normal(0, 1, len(dates)), index=dates)
    rows = []
    for u in UNITS:
        base = rng.normal(50, 5)
        tr = u in TREATED
        for i, d in enumerate(dates):
            y = base + day[d] + rng.normal(0, 1) + (trend_gap * i if tr else 0.0)
            y += effect if tr and d >= pd.Timestamp(CHANGE) else 0.0
            rows.append((u, d, y))
    return pd.DataFrame(rows, columns=["unit", "date", "value"])


def test_card_krueger_table3() -> None:
    # case did_card_krueger_table3: Card & Krueger (1994) AER, Table 3, NJ vs PA FTE
    case = DID_CARD_KRUEGER_TABLE3
    res = did_from_summary(**case["inputs"])
    row = res.table.iloc[0]
    assert row["delta"] == pytest.approx(case["did"], abs=case["did_abs"])
    se = (row["ci_high"] - row["ci_low"]) / (2 * 1.959963984540054)
    assert se == pytest.approx(case["se"], abs=case["se_abs"])
    assert res.model_info["se"] == pytest.approx(case["se"], abs=case["se_abs"])
    assert row["term"] == "did_2x2" and row["method"] == "did_summary"
    assert row["before"] == pytest.approx(20.44 - 23.33)


def test_2x2_and_twfe_recover_effect() -> None:
    frame = _panel(effect=2.0, seed=1)
    original = frame.copy()
    res = did(frame, treated=TREATED, change_date=CHANGE)
    pd.testing.assert_frame_equal(frame, original)
    assert isinstance(res, DidResult)
    assert list(res.table.columns) == DESIGN_COLUMNS
    rows = res.table.set_index("term")
    assert list(rows.index) == ["did_2x2", "did_twfe", "pre_trend"]
    post = frame["date"] >= CHANGE
    tr = frame["unit"].isin(TREATED)
    means = frame.groupby([tr, post])["value"].mean()
    manual = (means[True, True] - means[True, False]) - (means[False, True] - means[False, False])
    assert rows.loc["did_2x2", "delta"] == pytest.approx(manual, rel=1e-10)
    # balanced panel: TWFE equals the 2x2 of means
    assert rows.loc["did_twfe", "delta"] == pytest.approx(manual, rel=1e-8)
    for term in ("did_2x2", "did_twfe"):
        assert rows.loc[term, "ci_low"] < 2.0 < rows.loc[term, "ci_high"]
        assert rows.loc[term, "after"] - rows.loc[term, "before"] == pytest.approx(manual)
    assert rows.loc["pre_trend", "p_value"] > 0.01
    assert res.model_info["n_clusters"] == 16
    assert set(res.means["group"]) == {"treated", "control"}
    assert "did_twfe" in res._repr_html_()
    pd.testing.assert_frame_equal(res.to_frame(), res.table)


def test_twfe_se_matches_statsmodels_cluster_formula() -> None:
    frame = _panel(effect=1.0, seed=2)
    frame["D"] = (frame["unit"].isin(TREATED) & (frame["date"] >= CHANGE)).astype(float)
    ref = smf.ols("value ~ C(unit) + C(date) + D", data=frame).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(frame["unit"])[0]}, use_t=True
    )
    res = did(frame, treated=TREATED, change_date=CHANGE).table.set_index("term")
    lo, hi = ref.conf_int().loc["D"]
    assert res.loc["did_twfe", "ci_low"] == pytest.approx(lo, rel=1e-8)
    assert res.loc["did_twfe", "ci_high"] == pytest.approx(hi, rel=1e-8)
    assert res.loc["did_twfe", "p_value"] == pytest.approx(ref.pvalues["D"], rel=1e-6)


def test_weighted_unbalanced_twfe_and_pre_trend_match_statsmodels() -> None:
    # The fixed effects are absorbed in closed form; the dummy regression gives the same.
    frame = _panel(effect=1.0, trend_gap=0.02, seed=9)
    rng = np.random.default_rng(9)
    frame = frame[rng.uniform(size=len(frame)) > 0.15].reset_index(drop=True)
    frame["n"] = rng.integers(5, 80, len(frame)).astype(float)
    frame["D"] = (frame["unit"].isin(TREATED) & (frame["date"] >= CHANGE)).astype(float)
    groups = pd.factorize(frame["unit"])[0]
    ref = smf.wls("value ~ C(unit) + C(date) + D", data=frame, weights=frame["n"]).fit(
        cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    res = did(frame, treated=TREATED, change_date=CHANGE, weights="n").table.set_index("term")
    lo, hi = ref.conf_int().loc["D"]
    assert res.loc["did_twfe", "delta"] == pytest.approx(ref.params["D"], rel=1e-10)
    assert res.loc["did_twfe", "ci_low"] == pytest.approx(lo, rel=1e-9)
    assert res.loc["did_twfe", "ci_high"] == pytest.approx(hi, rel=1e-9)
    pre = frame[frame["date"] < CHANGE].copy()
    t = (pre["date"] - frame["date"].min()).dt.days
    pre["trend"] = pre["unit"].isin(TREATED) * (t - t.mean())
    ref = smf.wls("value ~ C(unit) + C(date) + trend", data=pre, weights=pre["n"]).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(pre["unit"])[0]}, use_t=True)
    assert res.loc["pre_trend", "delta"] == pytest.approx(ref.params["trend"], rel=1e-10)
    assert res.loc["pre_trend", "p_value"] == pytest.approx(ref.pvalues["trend"], rel=1e-8)


def test_labels_and_one_family() -> None:
    frame = _panel(effect=1.0, seed=2)
    res = did(frame, treated=TREATED[::-1], change_date=CHANGE, metric="nps", units="NPS points")
    t = res.table
    assert set(t["by"]) == {"unit"} and set(t["metric"]) == {"nps"}
    assert set(t["segment"]) == {" + ".join(TREATED)}
    assert set(t["comparison"]) == {"after_vs_before"}
    assert list(t["units"]) == ["NPS points", "NPS points", "NPS points per day"]
    p = t["p_value"].to_numpy(float)
    np.testing.assert_allclose(t["p_adjusted"], adjust_pvalues(p, "fdr_bh"))
    assert str(t["significant"].dtype) == "boolean"
    none = did(frame, treated=TREATED, change_date=CHANGE, correction="none").table
    np.testing.assert_allclose(none["p_adjusted"], p)
    assert did(frame, treated=TREATED, change_date=CHANGE, segment="treated regions").table[
        "segment"].eq("treated regions").all()


def test_effect_collinear_with_fixed_effects_is_not_identified() -> None:
    # Two blocks of units observed on disjoint dates: treated x post is a combination of
    # the unit and date effects, so TWFE has no estimate (the 2x2 of means still does).
    frame = _panel()
    early = frame["unit"].isin(UNITS[::2])
    keep = (early & (frame["date"] < CHANGE)) | (~early & (frame["date"] >= CHANGE))
    t = did(frame[keep], treated=UNITS[:4], change_date=CHANGE).table.set_index("term")
    assert t.loc["did_twfe", "status"] == "not_identified"
    assert np.isnan(t.loc["did_twfe", "delta"]) and pd.isna(t.loc["did_twfe", "significant"])
    assert np.isfinite(t.loc["did_2x2", "delta"])


def test_pre_trend_detects_diverging_groups() -> None:
    res = did(_panel(trend_gap=0.15, seed=3), treated=TREATED, change_date=CHANGE)
    row = res.table.set_index("term").loc["pre_trend"]
    assert row["p_value"] < 0.001
    assert row["ci_low"] < 0.15 < row["ci_high"]


def test_weights_give_weighted_means() -> None:
    frame = _panel(effect=1.0, seed=4)
    frame["n"] = np.random.default_rng(4).integers(5, 50, len(frame)).astype(float)
    res = did(frame, treated=TREATED, change_date=CHANGE, weights="n")
    post = frame["date"] >= CHANGE
    tr = frame["unit"].isin(TREATED)
    m = (frame["value"] * frame["n"]).groupby([tr, post]).sum() / frame["n"].groupby(
        [tr, post]).sum()  # fmt: skip
    manual = (m[True, True] - m[True, False]) - (m[False, True] - m[False, False])
    assert res.table.loc[0, "delta"] == pytest.approx(manual, rel=1e-10)


def test_few_clusters_flagged() -> None:
    frame = _panel(seed=5)
    small = frame[frame["unit"].isin(UNITS[:6] + UNITS[10:12])]
    res = did(small, treated=TREATED[:3], change_date=CHANGE)
    assert (res.table["status"] == "few_clusters").all()


def _staggered(seed: int = 0) -> tuple[pd.DataFrame, dict[str, str | None]]:
    # Effects grow with time since the change (dynamic), the case where naive TWFE fails:
    # early-treated units serve as controls for later ones while their effect still grows.
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2024-01-01", periods=90, freq="D")
    starts: dict[str, str | None] = {}
    rows = []
    for i in range(24):
        u = f"s{i:02d}"
        start = ["2024-01-21", "2024-02-20", None][i % 3]
        starts[u] = start
        base = rng.normal(20, 2)
        for d in dates:
            since = (d - pd.Timestamp(start)).days if start else -1
            eff = 0.1 * (since + 1) if since >= 0 else 0.0
            rows.append((u, d, base + eff + rng.normal(0, 0.5)))
    return pd.DataFrame(rows, columns=["unit", "date", "value"]), starts


def test_staggered_stacked_recovers_effect_where_naive_twfe_is_biased() -> None:
    frame, starts = _staggered()
    res = did(frame, change_date=starts)
    rows = res.table
    stacked = rows[rows["term"] == "did_stacked"].iloc[0]
    # truth: mean of 0.1*(since+1) over each cohort's stacked post window, weighted as in did()
    c1 = 0.1 * np.mean(np.arange(1, 31))  # cohort 1: 30 days until cohort 2 starts
    c2 = 0.1 * np.mean(np.arange(1, 41))  # cohort 2: 40 days to the end, vs never treated
    truth = (8 * 30 * c1 + 8 * 40 * c2) / (8 * 30 + 8 * 40)
    assert stacked["ci_low"] < truth < stacked["ci_high"]
    assert stacked["delta"] == pytest.approx(truth, abs=0.1)
    per_cohort = rows[rows["term"] == "did_2x2"]
    assert len(per_cohort) == 2
    cohorts = {s: sorted(u for u, d in starts.items() if d == s) for s in set(starts.values())
               if s is not None}  # fmt: skip
    assert per_cohort["segment"].tolist() == [" + ".join(cohorts[d]) for d in sorted(cohorts)]
    treated = sorted(u for u, d in starts.items() if d is not None)
    assert stacked["segment"] == " + ".join(treated)
    assert set(rows["comparison"]) == {"after_vs_before"}
    assert per_cohort["delta"].to_numpy() == pytest.approx([c1, c2], abs=0.1)
    # naive TWFE over all cohorts: one treated-x-post dummy, unit and date effects
    d = frame.assign(start=pd.to_datetime(frame["unit"].map(starts)))
    d["D"] = (d["date"] >= d["start"]).astype(float)
    naive = smf.ols("value ~ C(unit) + C(date) + D", data=d).fit().params["D"]
    # true ATT over all treated unit-days of the series
    att = d.loc[d["D"] == 1].eval("(date - start).dt.days + 1").mul(0.1).mean()
    assert abs(naive - att) > 0.5  # biased
    assert naive < stacked["ci_low"]
    assert set(res.means["group"]) == {"cohort 2024-01-21", "cohort 2024-02-20", "never treated"}
    assert rows[rows["term"] == "pre_trend"]["p_value"].iloc[0] > 0.01


def test_staggered_single_date_mapping_equals_plain() -> None:
    frame = _panel(effect=1.0, seed=6)
    a = did(frame, change_date=dict.fromkeys(TREATED, CHANGE)).table
    b = did(frame, treated=TREATED, change_date=CHANGE).table
    pd.testing.assert_frame_equal(a, b)


# ---- error paths -------------------------------------------------------------------


def test_unknown_treated_unit() -> None:
    with pytest.raises(
        DataValidationError, match=r"unknown unit value\(s\) \['zz'\]; available units: \['u00'"
    ):
        did(_panel(), treated=["u00", "zz"], change_date=CHANGE)


def test_missing_column_and_nan() -> None:
    with pytest.raises(MissingColumnError, match=re.escape("column 'segment' not found")):
        did(_panel(), unit="segment", treated=TREATED, change_date=CHANGE)
    frame = _panel()
    frame.loc[5, "value"] = np.nan
    with pytest.raises(DataValidationError, match="'value' has 1 missing"):
        did(frame, treated=TREATED, change_date=CHANGE)


def test_duplicates_and_period_errors() -> None:
    frame = _panel()
    with pytest.raises(DataValidationError, match=r"1 duplicated \(unit, date\)"):
        did(pd.concat([frame, frame.iloc[:1]]), treated=TREATED, change_date=CHANGE)
    with pytest.raises(PeriodError, match="outside the series, which runs from 2024-01-04"):
        did(frame, treated=TREATED, change_date="2025-01-01")


def test_insufficient_data() -> None:
    frame = _panel()
    with pytest.raises(InsufficientDataError, match="no control units"):
        did(frame, treated=UNITS, change_date=CHANGE)
    gap = frame[~(frame["unit"].isin(TREATED) & (frame["date"] >= CHANGE))]
    with pytest.raises(InsufficientDataError, match="no points in treated after"):
        did(gap, treated=TREATED, change_date=CHANGE)
    with pytest.raises(DataValidationError, match="pass treated="):
        did(frame, change_date=CHANGE)
    with pytest.raises(DataValidationError, match="disagrees"):
        did(frame, treated=["u01"], change_date={"u00": CHANGE})
    with pytest.raises(DataValidationError, match="alpha must be in"):
        did(frame, treated=TREATED, change_date=CHANGE, alpha=1.0)
    with pytest.raises(DataValidationError, match="unknown p-value adjustment"):
        did(frame, treated=TREATED, change_date=CHANGE, correction="bonferroni")
