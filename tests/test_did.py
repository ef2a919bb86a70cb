"""Tests of difference-in-differences (rollout_metrics.designs.did)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from design_reference_cases import DID_BANKS_CAUSALPY, DID_CARD_KRUEGER_TABLE3
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


def _panel(effect: float = 0.0, trend_gap: float = 0.0, seed: int = 0, n_before: int = 28
           ) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start = pd.Timestamp(CHANGE) - pd.Timedelta(days=n_before)
    dates = pd.date_range(start, periods=n_before + 28, freq="D")
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


def test_banks_two_units_cannot_reach_significance() -> None:
    # case did_banks_causalpy: 2 units, 6 yearly points. CR1 gave p ~ 1e-15 and a CI of width
    # 1e-13 here; with one of two units treated only 2 assignments exist (p >= 0.5).
    case = DID_BANKS_CAUSALPY
    dates = pd.to_datetime([f"{y}-07-01" for y in case["year"]])
    frame = pd.concat([
        pd.DataFrame({"unit": "Sixth District", "date": dates, "value": case["sixth"]}),
        pd.DataFrame({"unit": "Eighth District", "date": dates, "value": case["eighth"]}),
    ])  # fmt: skip
    res = did(frame, treated=["Sixth District"],
              change_date=f"{case['first_treated_year']}-01-01")
    rows = res.table.set_index("term")
    for term in ("did_2x2", "did_twfe"):
        row = rows.loc[term]
        assert row["delta"] == pytest.approx(case["did"], abs=case["did_abs"])
        assert row["status"] == "cannot_reach_significance"
        assert row["method"] == f"{term}_randomisation"
        assert np.isnan(row["p_value"]) and np.isnan(row["ci_low"]) and np.isnan(row["ci_high"])
        assert pd.isna(row["significant"])
        info = res.model_info["inference"][term]
        assert info["p_floor"] == 0.5 and info["p_randomisation"] == 1.0
    assert rows.loc["pre_trend", "status"] == "insufficient_data"


def test_gap_rows_are_the_gap_series_fits() -> None:
    # One treated unit of three, balanced and unweighted: the gap is the treated series minus
    # the controls' mean; did_2x2 is the difference of its period means (= the 2x2 of
    # means), did_twfe its feasible GLS shift (gls_ar, AR(1), first point kept), pre_trend
    # its slope before the change (42 days before: MIN_TREND_POINTS).
    from rollout_metrics.designs._common import gls_ar

    frame = _panel(effect=1.0, seed=7, n_before=42)
    three = frame[frame["unit"].isin([UNITS[0], UNITS[8], UNITS[9]])]
    res = did(three, treated=[UNITS[0]], change_date=CHANGE)
    rows = res.table.set_index("term")
    wide = three.pivot(index="date", columns="unit", values="value")
    gap = (wide[UNITS[0]] - wide[[UNITS[8], UNITS[9]]].mean(axis=1)).to_numpy()
    post = (wide.index >= CHANGE).astype(float)
    assert rows.loc["did_2x2", "delta"] == pytest.approx(
        gap[post == 1].mean() - gap[post == 0].mean(), rel=1e-10)
    x = np.column_stack([np.ones(len(gap)), post])
    fit = gls_ar(gap, x, 1, bias_correct=True, keep_first=True)
    assert rows.loc["did_twfe", "delta"] == pytest.approx(fit.params[1], rel=1e-4)
    assert res.model_info["inference"]["did_twfe"]["rho"] == pytest.approx(fit.rho[0],
                                                                            abs=1e-4)
    for term in ("did_2x2", "did_twfe"):
        assert rows.loc[term, "ci_low"] < 1.0 < rows.loc[term, "ci_high"]
        assert rows.loc[term, "after"] - rows.loc[term, "before"] == pytest.approx(
            rows.loc["did_2x2", "delta"])
    pre = gap[post == 0]
    t = np.arange(len(pre), dtype=float)
    slope = gls_ar(pre, np.column_stack([np.ones(len(t)), t - t.mean()]), 1,
                   bias_correct=True, keep_first=True).params[1]
    assert rows.loc["pre_trend", "delta"] == pytest.approx(slope, rel=1e-3)


def test_randomisation_test_with_enough_assignments() -> None:
    # 3 treated of 8 units, 4 + 4 weekly points: too short for the gap series, 56
    # assignments, so the randomisation p can go down to 1/56.
    rng = np.random.default_rng(8)
    dates = pd.date_range("2024-01-01", periods=8, freq="W-MON")
    frame = pd.DataFrame([(u, d) for u in UNITS[:8] for d in dates], columns=["unit", "date"])
    frame["value"] = (rng.normal(50, 5, 8).repeat(8) + rng.normal(0, 0.3, len(frame))
                      + 3.0 * (frame["unit"].isin(UNITS[:3]) & (frame["date"] >= dates[4])))
    res = did(frame, treated=UNITS[:3], change_date=dates[4], correction="none")
    rows = res.table.set_index("term")
    info = res.model_info["inference"]["did_2x2"]
    assert info["possible_assignments"] == 56 and info["p_floor"] == pytest.approx(1 / 56)
    row = rows.loc["did_2x2"]
    assert row["method"] == "did_2x2_randomisation" and row["status"] == "ok"
    assert row["p_value"] == pytest.approx(1 / 56)
    assert row["significant"] and row["ci_low"] > 0
    assert row["ci_low"] < 3.0 < row["ci_high"]


@pytest.mark.parametrize(("n_units", "n_treated", "n_dates"), [(3, 1, 40), (12, 6, 20),
                                                               (8, 2, 8), (4, 1, 30)])
def test_interval_agrees_with_p_value(n_units: int, n_treated: int, n_dates: int) -> None:
    # Every test: significant (p < alpha, no adjustment) exactly when the interval excludes
    # 0, and the estimate inside its interval.
    rng = np.random.default_rng(n_units * 100 + n_dates)
    dates = pd.date_range("2024-01-01", periods=n_dates, freq="D")
    for effect in (0.0, 0.4, 1.5):
        frame = pd.DataFrame([(u, d) for u in UNITS[:n_units] for d in dates],
                             columns=["unit", "date"])
        frame["value"] = rng.normal(0, 1, len(frame)) + effect * (
            frame["unit"].isin(UNITS[:n_treated]) & (frame["date"] >= dates[n_dates // 2]))
        table = did(frame, treated=UNITS[:n_treated], change_date=dates[n_dates // 2],
                    correction="none", n_resamples=199).table
        for _, row in table.iterrows():
            if pd.isna(row["p_value"]):
                continue
            excludes = row["ci_low"] > 0 or row["ci_high"] < 0
            assert bool(row["significant"]) == excludes, row.to_dict()
            assert row["ci_low"] <= row["delta"] <= row["ci_high"]


def test_constant_panel_is_degenerate() -> None:
    # No variation at all (or rounding noise): no p-value, never significant.
    frame = _panel(n_before=42)
    for units in (UNITS[:4], UNITS):
        flat = frame[frame["unit"].isin(units)].assign(value=50.0)
        table = did(flat, treated=units[:2] if len(units) == 4 else TREATED,
                    change_date=CHANGE).table
        assert (table["status"] == "degenerate").all(), table[["method", "status"]]
        assert table["p_value"].isna().all() and table["significant"].isna().all()


def test_same_seed_same_table_and_resample_checks() -> None:
    frame = _panel(effect=0.5, seed=11)
    small = frame[frame["unit"].isin(UNITS[:3])]
    a = did(small, treated=UNITS[:1], change_date=CHANGE).table
    b = did(small, treated=UNITS[:1], change_date=CHANGE).table
    pd.testing.assert_frame_equal(a, b)
    c = did(small, treated=UNITS[:1], change_date=CHANGE, seed=1).table
    np.testing.assert_allclose(a["delta"], c["delta"])
    with pytest.raises(DataValidationError, match=r"n_resamples=10 is too few for alpha=0\.05"):
        did(small, treated=UNITS[:1], change_date=CHANGE, n_resamples=10)


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


def test_twfe_estimate_and_cr1_se_match_statsmodels_cluster_formula() -> None:
    # 6 treated and 10 control units: the wild cluster bootstrap studentises with CR1.
    frame = _panel(effect=1.0, seed=2)
    frame["D"] = (frame["unit"].isin(TREATED) & (frame["date"] >= CHANGE)).astype(float)
    ref = smf.ols("value ~ C(unit) + C(date) + D", data=frame).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(frame["unit"])[0]}, use_t=True
    )
    res = did(frame, treated=TREATED, change_date=CHANGE)
    row = res.table.set_index("term").loc["did_twfe"]
    assert row["delta"] == pytest.approx(ref.params["D"], rel=1e-10)
    info = res.model_info["inference"]["did_twfe"]
    assert info["test"] == "wild_cluster_bootstrap"
    assert info["cr1_se"] == pytest.approx(ref.bse["D"], rel=1e-8)
    assert row["method"] == "did_twfe_wild_cluster_bootstrap"
    # the bootstrap interval is close to the CR1 t interval here (16 clusters, balanced)
    lo, hi = ref.conf_int().loc["D"]
    assert row["ci_low"] == pytest.approx(lo, abs=0.25 * (hi - lo))
    assert row["ci_high"] == pytest.approx(hi, abs=0.25 * (hi - lo))


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
    res = did(frame, treated=TREATED, change_date=CHANGE, weights="n")
    rows, info = res.table.set_index("term"), res.model_info["inference"]
    assert rows.loc["did_twfe", "delta"] == pytest.approx(ref.params["D"], rel=1e-10)
    assert info["did_twfe"]["cr1_se"] == pytest.approx(ref.bse["D"], rel=1e-9)
    pre = frame[frame["date"] < CHANGE].copy()
    t = (pre["date"] - frame["date"].min()).dt.days
    pre["trend"] = pre["unit"].isin(TREATED) * (t - t.mean())
    ref = smf.wls("value ~ C(unit) + C(date) + trend", data=pre, weights=pre["n"]).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(pre["unit"])[0]}, use_t=True)
    assert rows.loc["pre_trend", "delta"] == pytest.approx(ref.params["trend"], rel=1e-10)
    assert info["pre_trend"]["cr1_se"] == pytest.approx(ref.bse["trend"], rel=1e-8)


def test_wild_cluster_bootstrap_equals_refitting_every_sample() -> None:
    # The bootstrap's t statistics come from a clusters x clusters map; refitting each
    # restricted wild sample with the dummy regression and statsmodels' CR1 gives the same.
    from rollout_metrics.designs._panel import Projector, fixed_effects
    from rollout_metrics.designs.did_inference import _WEBB, wild_cluster_test

    rng = np.random.default_rng(12)
    units, dates = [f"c{i}" for i in range(10)], pd.date_range("2024-01-01", periods=12)
    frame = pd.DataFrame([(u, d) for u in units for d in dates], columns=["unit", "date"])
    frame["value"] = rng.normal(0, 1, len(frame)) + rng.normal(0, 1, 10).repeat(12)
    frame["D"] = (frame["unit"].isin(units[:5]) & (frame["date"] >= dates[6])).astype(float)
    y, x = frame["value"].to_numpy(), frame["D"].to_numpy()
    w = np.ones(len(frame))
    n_boot = 199
    test = wild_cluster_test(y, x, frame["unit"], Projector(w, fe=fixed_effects(frame)),
                             alpha=0.05, n_resamples=n_boot, rng=np.random.default_rng(3),
                             scale=1.0)
    weights = np.random.default_rng(3).choice(_WEBB, size=(n_boot, 10))
    codes = pd.factorize(frame["unit"], sort=True)[0]
    restricted = smf.ols("value ~ C(unit) + C(date)", data=frame).fit()
    fitted, resid = restricted.fittedvalues.to_numpy(), restricted.resid.to_numpy()
    full = smf.ols("value ~ C(unit) + C(date) + D", data=frame).fit(
        cov_type="cluster", cov_kwds={"groups": codes})
    t_obs = abs(full.params["D"] / full.bse["D"])
    t_star = []
    for v in weights:
        sample = frame.assign(value=fitted + resid * v[codes])
        fit = smf.ols("value ~ C(unit) + C(date) + D", data=sample).fit(
            cov_type="cluster", cov_kwds={"groups": codes})
        t_star.append(abs(fit.params["D"] / fit.bse["D"]))
    p = (1 + np.sum(np.array(t_star) >= t_obs)) / (n_boot + 1)
    assert test.inference.p_value == pytest.approx(p)
    assert test.inference.estimate == pytest.approx(full.params["D"], rel=1e-10)


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
    t = did(frame[keep], treated=UNITS[:10], change_date=CHANGE).table.set_index("term")
    assert t.loc["did_twfe", "method"] == "did_twfe_wild_cluster_bootstrap"
    assert t.loc["did_twfe", "status"] == "not_identified"
    assert np.isnan(t.loc["did_twfe", "delta"]) and pd.isna(t.loc["did_twfe", "significant"])
    assert np.isfinite(t.loc["did_2x2", "delta"])
    # With few treated units no treated unit is seen on both sides: nothing is identified
    # (no gap series after the change, and every assignment's TWFE is collinear).
    few = did(frame[keep], treated=UNITS[:2], change_date=CHANGE).table.set_index("term")
    assert few.loc["did_twfe", "status"] == "not_identified"


def test_pre_trend_detects_diverging_groups() -> None:
    res = did(_panel(trend_gap=0.15, seed=3), treated=TREATED, change_date=CHANGE)
    row = res.table.set_index("term").loc["pre_trend"]
    assert row["p_value"] <= 2 / 1000  # the bootstrap's floor is 1 / (999 + 1)
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


def test_inference_follows_the_rule() -> None:
    # 3 treated of 8 units, 42 + 28 days: too few treated units for the wild cluster
    # bootstrap, so the gap series (AR(1) errors, bootstrap-t).
    frame = _panel(seed=5, n_before=42)
    small = frame[frame["unit"].isin(UNITS[:6] + UNITS[10:12])]
    res = did(small, treated=TREATED[:3], change_date=CHANGE)
    assert (res.table["status"] == "ok").all()
    assert res.table["method"].tolist() == [
        "did_2x2_gap_ar1_bootstrap", "did_twfe_gap_ar1_bootstrap",
        "pre_trend_gap_ar1_bootstrap"]
    assert set(res.model_info["inference"]) == {"did_2x2", "did_twfe", "pre_trend"}
    assert -0.9 < res.model_info["inference"]["did_twfe"]["rho"] < 0.9
    # 6 of 16: the wild cluster bootstrap
    big = did(frame, treated=TREATED, change_date=CHANGE).table
    assert big["method"].str.endswith("_wild_cluster_bootstrap").all()


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


def test_staggered_with_few_units_combines_cohorts_by_bonferroni() -> None:
    # One unit per cohort and four never treated: each cohort's stack is tested on its gap
    # series; the weighted effect combines the cohorts' intervals at alpha / 2 (valid
    # whatever their dependence through the shared controls).
    rng = np.random.default_rng(21)
    dates = pd.date_range("2024-01-01", periods=100, freq="D")
    starts = {"a": dates[44], "b": dates[70], "c": None, "d": None, "e": None, "f": None}
    rows = []
    for u, start in starts.items():
        level, noise = rng.normal(20, 2), 0.0
        for d in dates:
            noise = 0.3 * noise + rng.normal(0, 0.5)
            rows.append((u, d, level + noise + (1.0 if start is not None and d >= start
                                                else 0.0)))
    frame = pd.DataFrame(rows, columns=["unit", "date", "value"])
    res = did(frame, change_date=starts)
    table = res.table
    cohorts = table[table["term"] == "did_2x2"]
    assert cohorts["method"].tolist() == ["did_2x2_gap_ar1_bootstrap"] * 2
    assert cohorts["segment"].tolist() == ["a", "b"]
    stacked = table[table["term"] == "did_stacked"].iloc[0]
    assert stacked["method"] == "did_stacked_bonferroni" and stacked["status"] == "ok"
    assert stacked["ci_low"] < 1.0 < stacked["ci_high"]
    assert stacked["significant"] and stacked["ci_low"] > 0
    weights = np.array([c["weight"] for c in res.model_info["cohorts"]])
    twfe = [res.model_info["cohorts"][k]["inference"]["did_twfe"] for k in (0, 1)]
    assert all(t["test"] == "gap_ar1_bootstrap" for t in twfe)
    assert stacked["delta"] == pytest.approx(
        float(weights @ cohorts["delta"].to_numpy() / weights.sum()), abs=0.2)
    pre = table[table["term"] == "pre_trend"].iloc[0]
    assert pre["method"] == "pre_trend_bonferroni" and not pre["significant"]


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
