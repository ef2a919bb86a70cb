"""Tests of the interrupted time series (rollout_metrics.designs.its)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st

from design_reference_cases import HAC_NEWEY_WEST_STATA
from rollout_metrics.designs._common import DESIGN_COLUMNS, gls_ar, poisson_ar, select_ar_order
from rollout_metrics.designs.its import ItsResult, its, ols_hac
from rollout_metrics.errors import (
    DataValidationError,
    InsufficientDataError,
    MissingColumnError,
    PeriodError,
)
from rollout_metrics.infer.multiple import adjust_pvalues

CHANGE = "2024-04-30"


def _series(
    n_before: int = 120,
    n_after: int = 60,
    level: float = -2.0,
    slope: float = 0.03,
    rho: float = 0.5,
    sd: float = 1.0,
    seed: int = 0,
) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = n_before + n_after
    dates = pd.date_range("2024-04-30", periods=n, freq="D") - pd.Timedelta(days=n_before)
    t = np.arange(n, dtype=float)
    post = t >= n_before
    e = np.zeros(n)
    z = rng.normal(0, sd, n)
    e[0] = z[0] / np.sqrt(1 - rho**2)
    for i in range(1, n):
        e[i] = rho * e[i - 1] + z[i]
    weekly = np.array([0, 1, 0.5, 0, -1, -3, -2])[dates.day_of_week]
    y = 50 + 0.02 * t + weekly + e + level * post + slope * (t - n_before) * post
    return pd.DataFrame({"date": dates, "value": y})


def _macro() -> tuple[np.ndarray, np.ndarray]:
    d = sm.datasets.macrodata.load_pandas().data
    y = 400 * np.diff(np.log(d["realinv"].to_numpy()))
    x1 = 400 * np.diff(np.log(d["realgdp"].to_numpy()))
    x2 = d["realint"].to_numpy()[:-1]
    return y, np.column_stack([x1, x2, np.ones(len(y))])


def test_ols_hac_reproduces_stata_newey() -> None:
    # case hac_newey_west_stata: Stata `newey g_realinv g_realgdp L.realint, lag(4)`
    # (statsmodels results_macro_ols_robust.results_newey4)
    y, x = _macro()
    case = HAC_NEWEY_WEST_STATA
    fit = ols_hac(y, x, maxlags=case["maxlags"])
    np.testing.assert_allclose(fit.params, case["params"], rtol=0, atol=case["params_abs"])
    np.testing.assert_allclose(fit.bse, case["bse"], rtol=0, atol=case["bse_abs"])
    assert fit.df_resid == len(y) - 3


@pytest.mark.parametrize(("order", "seed"), [(1, 0), (2, 1), (3, 2), (1, 3)])
def test_gls_ar_equals_statsmodels_glsar(order: int, seed: int) -> None:
    frame = _series(seed=seed)
    t = np.arange(len(frame), dtype=float)
    post = (t >= 120).astype(float)
    x = np.column_stack([np.ones(len(t)), t, post, post * (t - 120)])
    y = frame["value"].to_numpy()
    mine = gls_ar(y, x, order)
    ref = sm.GLSAR(y, x, rho=order).iterative_fit()
    np.testing.assert_allclose(mine.params, ref.params, rtol=1e-10)
    np.testing.assert_allclose(mine.bse, ref.bse, rtol=1e-10)
    np.testing.assert_allclose(mine.rho, ref.model.rho, rtol=1e-10)
    assert mine.df_resid == ref.df_resid


@pytest.mark.parametrize("rho", [0.0, 0.3, 0.6])
def test_residual_autocorrelation_bias_matches_kendall(rho: float) -> None:
    # Kendall (1954), Marriott & Pope (1954): with only the mean estimated,
    # E[r1] = rho - (1 + 3 rho)/n + O(n^-2).
    from rollout_metrics.designs._common import _residual_lag1_ratio

    n = 400
    ratio = _residual_lag1_ratio(np.ones((n, 1)))
    # The ratio of expectations is exactly -1/n at rho = 0 (Kendall's bias) and has the
    # same order, (1 + rho)/n to (1 + 3 rho)/n, otherwise.
    bias = rho - ratio(rho)
    assert (1 + rho) / n * 0.95 <= bias <= (1 + 3 * rho) / n + 1e-12


def test_bias_corrected_rho_is_larger_and_its_default() -> None:
    frame = _series(seed=3)
    t = np.arange(len(frame), dtype=float)
    x = np.column_stack([np.ones(len(t)), t, (t >= 120) * 1.0, (t >= 120) * (t - 120)])
    y = frame["value"].to_numpy()
    plain, fixed = gls_ar(y, x, 1), gls_ar(y, x, 1, bias_correct=True)
    assert fixed.rho[0] > plain.rho[0]
    on = its(frame, change_date=frame["date"].iloc[120], ar_order=1)
    off = its(frame, change_date=frame["date"].iloc[120], ar_order=1, bias_correct=False)
    assert on.model_info["rho"][0] > off.model_info["rho"][0]
    se = [(r.table.iloc[0]["ci_high"] - r.table.iloc[0]["ci_low"]) for r in (on, off)]
    assert se[0] > se[1]


def test_poisson_ar_order0_equals_statsmodels_glm() -> None:
    rng = np.random.default_rng(5)
    n = 100
    x = np.column_stack([np.ones(n), np.arange(n) / n, (np.arange(n) >= 60).astype(float)])
    exposure = rng.uniform(900, 1100, n)
    y = rng.negative_binomial(5, 5 / (5 + 0.02 * exposure)).astype(float)
    ref = sm.GLM(y, x, family=sm.families.Poisson(), offset=np.log(exposure)).fit(scale="X2")
    mine = poisson_ar(y, x, np.log(exposure), 0, quasi=True)
    np.testing.assert_allclose(mine.params, ref.params, rtol=1e-8)
    assert ref.scale > 1  # overdispersed, so the floor max(1, phi) is inactive
    np.testing.assert_allclose(mine.bse, ref.bse, rtol=1e-6)
    plain = poisson_ar(y, x, np.log(exposure), 0, quasi=False)
    ref1 = sm.GLM(y, x, family=sm.families.Poisson(), offset=np.log(exposure)).fit()
    np.testing.assert_allclose(plain.bse, ref1.bse, rtol=1e-6)


@pytest.mark.parametrize(("order", "seed"), [(1, 0), (2, 1)])
def test_keep_first_is_exact_gls(order: int, seed: int) -> None:
    # Prais-Winsten (AR(1)) and its AR(p) generalisation keep the first rows: with rho fixed
    # at the fitted value the coefficients and SEs are those of statsmodels GLS with the full
    # stationary AR(p) covariance matrix.
    from scipy.linalg import toeplitz
    from statsmodels.tsa.arima_process import arma_acovf

    frame = _series(seed=seed)
    t = np.arange(len(frame), dtype=float)
    post = (t >= 120).astype(float)
    x = np.column_stack([np.ones(len(t)), t, post, post * (t - 120)])
    y = frame["value"].to_numpy()
    fit = gls_ar(y, x, order, keep_first=True)
    sigma = toeplitz(arma_acovf(np.r_[1.0, -fit.rho], np.array([1.0]), nobs=len(y)))
    ref = sm.GLS(y, x, sigma=sigma).fit()
    np.testing.assert_allclose(fit.params, ref.params, rtol=1e-9)
    np.testing.assert_allclose(fit.bse, ref.bse, rtol=1e-9)
    assert fit.df_resid == len(y) - 4


def test_ar1_with_small_rho_stays_next_to_ols() -> None:
    # Dropping the first observation (Cochrane-Orcutt) moved the answer as soon as order
    # selection switched to AR(1), however small rho was; keeping it does not.
    frame = _series(rho=0.0, level=0.0, slope=0.0, seed=22)
    frame.loc[0, "value"] += 8.0  # an influential first point of the baseline trend
    ols = its(frame, change_date=CHANGE, ar_order=0).table.set_index("term")
    ar1 = its(frame, change_date=CHANGE, ar_order=1)
    assert abs(ar1.model_info["rho"][0]) < 0.05
    row = ar1.table.set_index("term").loc["average_effect"]
    se = (ols.loc["average_effect", "ci_high"] - ols.loc["average_effect", "delta"]) / 1.97
    assert abs(row["delta"] - ols.loc["average_effect", "delta"]) < 0.05 * se
    t = np.arange(len(frame), dtype=float)
    post = (t >= 120).astype(float)
    x = np.column_stack([np.ones(len(t)), t, post, post * (t - 120)])
    y = frame["value"].to_numpy()
    dropped = gls_ar(y, x, 1, bias_correct=True).params
    kept = gls_ar(y, x, 1, bias_correct=True, keep_first=True).params
    ols_params = np.linalg.lstsq(x, y, rcond=None)[0]
    assert abs(kept[1] - ols_params[1]) < abs(dropped[1] - ols_params[1])


def test_quasipoisson_dispersion_floor_with_and_without_ar() -> None:
    # Counts less variable than Poisson (binomial, p = 0.8): the dispersion is floored at the
    # Poisson value on the scale of the Pearson residuals, with and without AR errors.
    rng = np.random.default_rng(4)
    n = 120
    x = np.column_stack([np.ones(n), np.arange(n) / n, (np.arange(n) >= 80).astype(float)])
    y = rng.binomial(50, 0.8, n).astype(float)
    plain = poisson_ar(y, x, np.zeros(n), 0, quasi=True)
    assert plain.scale == 1.0
    ar = poisson_ar(y, x, np.zeros(n), 1, quasi=True)
    assert ar.scale == pytest.approx(1.0 - ar.rho[0] ** 2)
    poisson = poisson_ar(y, x, np.zeros(n), 0, quasi=False)
    assert np.all(plain.bse >= poisson.bse * (1 - 1e-12))


@pytest.mark.parametrize("values", [np.full(90, 50.0), 50 + 0.1 * np.arange(90.0)])
def test_constant_or_exactly_linear_series_is_degenerate(values: np.ndarray) -> None:
    # Residuals of rounding size only: the SEs are noise (R t.test: "data are essentially
    # constant"), so no p-value, no interval and never significant.
    dates = pd.date_range("2024-01-01", periods=90, freq="D")
    res = its(pd.DataFrame({"date": dates, "value": values}), change_date="2024-03-01",
              ar_order=0)
    t = res.table
    assert (t["status"] == "degenerate").all()
    assert t["p_value"].isna().all() and t["ci_low"].isna().all() and t["mde"].isna().all()
    assert t["significant"].isna().all()
    assert np.allclose(t["delta"], 0.0, atol=1e-9)


def test_select_ar_order_finds_ar1_and_white_noise() -> None:
    rng = np.random.default_rng(2)
    z = rng.normal(size=400)
    ar = np.zeros(400)
    for i in range(1, 400):
        ar[i] = 0.6 * ar[i - 1] + z[i]
    assert select_ar_order(ar) == 1
    assert select_ar_order(z) == 0


def test_recovers_level_and_slope_change() -> None:
    res = its(_series(level=-3.0, slope=0.05, sd=0.5, seed=11), change_date=CHANGE)
    assert isinstance(res, ItsResult)
    rows = res.table.set_index("term")
    truth = {"level_change": -3.0, "slope_change": 0.05, "average_effect": -3.0 + 0.05 * 29.5}
    for term, value in truth.items():
        assert rows.loc[term, "ci_low"] < value < rows.loc[term, "ci_high"], term
        assert rows.loc[term, "ci_low"] <= rows.loc[term, "delta"] <= rows.loc[term, "ci_high"]
    assert rows.loc["average_effect", "significant"]
    assert res.model_info["ar_order"] >= 1
    assert rows.loc["average_effect", "method"] == f"its_gls_ar{res.model_info['ar_order']}"
    assert rows.loc["average_effect", "n_before"] == 120
    assert rows.loc["average_effect", "n_after"] == 60


def test_table_series_and_repr() -> None:
    frame = _series(seed=3)
    original = frame.copy()
    res = its(frame, change_date=CHANGE, metric="nps", segment="VIP")
    pd.testing.assert_frame_equal(frame, original)
    assert list(res.table.columns) == DESIGN_COLUMNS
    assert list(res.table["term"]) == ["average_effect", "level_change", "slope_change"]
    assert (res.table["metric"] == "nps").all() and (res.table["segment"] == "VIP").all()
    assert set(res.table["comparison"]) == {"after_vs_before"}
    assert list(res.table["units"]) == ["", "", "per day"]
    # the three rows are one Benjamini-Hochberg family
    expected = adjust_pvalues(res.table["p_value"].to_numpy(float), "fdr_bh")
    np.testing.assert_allclose(res.table["p_adjusted"], expected)
    assert res.table["significant"].tolist() == (expected < 0.05).tolist()
    holm = its(frame, change_date=CHANGE, correction="holm", units="NPS points").table
    np.testing.assert_allclose(holm["p_adjusted"],
                               adjust_pvalues(holm["p_value"].to_numpy(float), "holm"))
    assert list(holm["units"]) == ["NPS points", "NPS points", "NPS points per day"]
    assert ((res.table["p_value"] >= 0) & (res.table["p_value"] <= 1)).all()
    assert (res.table["mde"] > 0).all()
    assert list(res.series.columns) == [
        "date", "observed", "fitted", "counterfactual", "ci_low", "ci_high", "period",
    ]  # fmt: skip
    before = res.series["period"] == "before"
    np.testing.assert_allclose(
        res.series.loc[before, "fitted"], res.series.loc[before, "counterfactual"]
    )
    assert res.table.loc[0, "before"] == pytest.approx(frame["value"].iloc[:120].mean())
    pd.testing.assert_frame_equal(res.to_frame(), res.table)
    assert "average_effect" in res._repr_html_()


def test_change_date_belongs_to_after() -> None:
    res = its(_series(seed=4), change_date=CHANGE)
    first_after = res.series.loc[res.series["period"] == "after", "date"].min()
    assert first_after == pd.Timestamp(CHANGE)


def test_ols_hac_option_and_lags() -> None:
    res = its(_series(seed=5), change_date=CHANGE, model="ols_hac", hac_lags=7)
    assert res.table.loc[0, "method"] == "its_ols_hac"
    assert res.model_info["hac_lags"] == 7
    default = its(_series(seed=5), change_date=CHANGE, model="ols_hac")
    assert default.model_info["hac_lags"] == int(np.floor(4 * (180 / 100) ** (2 / 9)))


def test_weights_equal_wls_without_ar() -> None:
    frame = _series(rho=0.0, seed=6)
    rng = np.random.default_rng(6)
    frame["n"] = rng.integers(20, 200, len(frame)).astype(float)
    res = its(frame, change_date=CHANGE, weights="n", ar_order=0)
    params = res.model_info["params"]
    t = np.arange(len(frame), dtype=float)
    post = (t >= 120).astype(float)
    dow = frame["date"].dt.day_of_week.to_numpy()
    x = np.column_stack(
        [np.ones(len(t)), t] + [(dow == d).astype(float) for d in range(1, 7)]
        + [post, post * (t - 120)]
    )  # fmt: skip
    ref = sm.WLS(frame["value"].to_numpy(), x, weights=frame["n"].to_numpy()).fit()
    np.testing.assert_allclose(list(params.values()), ref.params, rtol=1e-9)
    row = res.table.set_index("term").loc["level_change"]
    assert row["ci_high"] - row["delta"] == pytest.approx(
        ref.bse[-2] * float(ref.t_test(np.eye(len(ref.params))[-2]).conf_int()[0, 1] - ref.params[-2])
        / ref.bse[-2], rel=1e-9
    )  # fmt: skip
    w = frame["n"].to_numpy()[:120]
    assert row["before"] == pytest.approx(np.average(frame["value"].to_numpy()[:120], weights=w))


def test_announcement_models_transition() -> None:
    frame = _series(level=-2.0, slope=0.0, sd=0.5, seed=7)
    trans = (frame["date"] >= "2024-04-16") & (frame["date"] < CHANGE)
    frame.loc[trans, "value"] -= 1.5  # anticipatory dip during the transition
    res = its(frame, change_date=CHANGE, announced="2024-04-16")
    rows = res.table.set_index("term")
    assert "transition_effect" in rows.index
    assert rows.loc["transition_effect", "comparison"] == "transition_vs_before"
    assert rows.loc["transition_effect", "n_after"] == 14
    assert rows.loc["transition_effect", "n_before"] == 106
    tr = rows.loc["transition_effect"]
    assert tr["ci_low"] < -1.5 < tr["ci_high"]
    avg = rows.loc["average_effect"]
    assert avg["ci_low"] < -2.0 < avg["ci_high"]
    assert set(res.series["period"]) == {"before", "transition", "after"}


def test_quasipoisson_with_exposure_recovers_rate_ratio() -> None:
    rng = np.random.default_rng(8)
    dates = pd.date_range("2024-01-01", periods=168, freq="D")
    post = np.asarray(dates >= "2024-04-22")
    active = rng.uniform(9_000, 11_000, len(dates))
    rate = 0.0012 * np.where(post, 1.3, 1.0) * np.array([1, 1, 1, 1, 1, 0.7, 0.7])[
        dates.day_of_week
    ]  # fmt: skip
    mu = rate * active
    counts = rng.poisson(rng.gamma(20, mu / 20))
    frame = pd.DataFrame({"date": dates, "complaints": counts, "active": active})
    res = its(frame, value="complaints", exposure="active", change_date="2024-04-22")
    assert res.model_info["model"] == "quasipoisson"
    assert res.table.loc[0, "method"].startswith("its_quasipoisson")
    ratio = res.model_info["average_effect_ratio"]
    assert ratio["ci_low"] < 1.3 < ratio["ci_high"]
    level = res.table.set_index("term").loc["level_change"]
    assert level["ci_low"] < np.log(1.3) < level["ci_high"]
    assert res.table.loc[0, "delta_rel"] == pytest.approx(ratio["ratio"] - 1)
    assert res.series["observed"].iloc[0] == pytest.approx(counts[0] / active[0])
    plain = its(frame, value="complaints", exposure="active", change_date="2024-04-22",
                model="poisson")  # fmt: skip
    assert plain.table.loc[0, "method"] == "its_poisson"


def test_weekly_series_inferred() -> None:
    rng = np.random.default_rng(9)
    dates = pd.date_range("2023-01-02", periods=40, freq="W-MON")
    y = 10 + rng.normal(0, 1, 40) + 2.0 * (dates >= dates[24])
    res = its(pd.DataFrame({"date": dates, "value": y}), change_date=dates[24])
    assert res.model_info["freq"] == "W"
    assert res.model_info["n_params"] == 4


@settings(max_examples=20, deadline=None)
@given(shift=st.floats(-1e3, 1e3), seed=st.integers(0, 1000))
def test_shift_invariance(shift: float, seed: int) -> None:
    frame = _series(seed=seed, n_before=40, n_after=20)
    a = its(frame, change_date=CHANGE, ar_order=1).table
    b = its(frame.assign(value=frame["value"] + shift), change_date=CHANGE, ar_order=1).table
    np.testing.assert_allclose(a["delta"], b["delta"], atol=1e-6)
    np.testing.assert_allclose(a["p_value"], b["p_value"], atol=1e-6)


# ---- error paths -------------------------------------------------------------------


def test_too_few_points() -> None:
    frame = _series(n_before=5, n_after=30)
    with pytest.raises(
        InsufficientDataError, match=r"at least 8 points.*got 5 before and 30 after"
    ):
        its(frame, change_date=CHANGE)


def test_change_date_outside_series() -> None:
    frame = _series()
    with pytest.raises(PeriodError, match=r"outside the series, which runs from 2024-01-01"):
        its(frame, change_date="2025-01-01")
    with pytest.raises(PeriodError, match="outside the series"):
        its(frame, change_date="2024-01-01")


def test_missing_column() -> None:
    with pytest.raises(MissingColumnError, match=re.escape("column 'nps' not found; available")):
        its(_series(), value="nps", change_date=CHANGE)
    with pytest.raises(MissingColumnError, match="'date', 'value'"):
        its(_series(), weights="n", change_date=CHANGE)


def test_nan_values() -> None:
    frame = _series()
    frame.loc[[3, 9], "value"] = np.nan
    with pytest.raises(DataValidationError, match=r"'value' has 2 missing or non-numeric"):
        its(frame, change_date=CHANGE)


def test_duplicated_dates_and_bad_dates() -> None:
    frame = _series()
    frame.loc[1, "date"] = frame.loc[0, "date"]
    with pytest.raises(DataValidationError, match="1 duplicated date"):
        its(frame, change_date=CHANGE)
    frame = _series().astype({"date": object})
    frame.loc[2, "date"] = "not a date"
    with pytest.raises(DataValidationError, match="1 missing or unparseable date"):
        its(frame, change_date=CHANGE)


def test_timezone_mixing() -> None:
    frame = _series()
    frame["date"] = frame["date"].dt.tz_localize("UTC")
    with pytest.raises(PeriodError, match="disagree on time zones"):
        its(frame, change_date=CHANGE)
    res = its(frame, change_date=pd.Timestamp(CHANGE, tz="UTC"))
    assert res.table.loc[0, "n_after"] == 60


def test_announcement_errors() -> None:
    frame = _series()
    with pytest.raises(PeriodError, match="must fall after the first date"):
        its(frame, change_date=CHANGE, announced="2024-05-05")
    with pytest.raises(InsufficientDataError, match="needs at least 2 points"):
        its(frame, change_date=CHANGE, announced="2024-04-29")


def test_option_errors() -> None:
    frame = _series()
    with pytest.raises(ValueError, match="model must be one of"):
        its(frame, change_date=CHANGE, model="arima")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="exposure is used by"):
        its(frame.assign(e=1.0), change_date=CHANGE, exposure="e", model="gls_ar")
    with pytest.raises(ValueError, match="weights apply to the linear models"):
        its(frame.assign(e=1.0), change_date=CHANGE, exposure="e", weights="e")
    with pytest.raises(ValueError, match="freq must be"):
        its(frame, change_date=CHANGE, freq="M")
    with pytest.raises(ValueError, match="ar_order must be between"):
        its(frame, change_date=CHANGE, ar_order=100)
    with pytest.raises(ValueError, match="alpha must be"):
        its(frame, change_date=CHANGE, alpha=1.5)
    with pytest.raises(DataValidationError, match="unknown p-value adjustment 'bonferroni'"):
        its(frame, change_date=CHANGE, correction="bonferroni")
    for kw in ({"model": "arima"}, {"freq": "M"}, {"ar_order": 100}, {"alpha": 1.5}):
        with pytest.raises(DataValidationError):
            its(frame, change_date=CHANGE, **kw)  # type: ignore[arg-type]
    with pytest.raises(DataValidationError, match="'e' must be > 0"):
        its(frame.assign(e=0.0, value=1.0), change_date=CHANGE, exposure="e")
    with pytest.raises(DataValidationError, match="non-negative counts"):
        its(frame.assign(e=1.0), change_date=CHANGE, exposure="e")
    with pytest.raises(DataValidationError, match="cannot infer the frequency"):
        its(frame.iloc[::3], change_date=CHANGE)


def test_gls_ar_keep_first_survives_a_non_stationary_yule_walker_estimate() -> None:
    # With 16 points, Yule-Walker's "adjusted" autocovariances give this series a
    # non-stationary AR(3) (coefficients 1.94, -1.90, 1.30), which has no stationary
    # covariance for the kept first rows. The biased ("mle") estimate is used instead.
    from statsmodels.regression.linear_model import yule_walker

    from rollout_metrics.designs._common import _stationary, gls_ar

    y = np.array([1.45716, 1.681968, -0.563696, -2.47083, -1.514902, 0.394353, 0.696741,
                  -0.378191, -0.483929, 0.296624, 0.884351, -0.224855, -0.538741, 0.422135,
                  0.54939, 0.30922])
    x = np.column_stack([np.ones(16), (np.arange(16) >= 8).astype(float)])
    resid = y - x @ np.linalg.lstsq(x, y, rcond=None)[0]
    adjusted, _ = yule_walker(resid, order=3, df=None, result_object=False)
    assert not _stationary(np.atleast_1d(adjusted))
    fit = gls_ar(y, x, 3, keep_first=True)
    assert _stationary(fit.rho)
    assert np.all(np.isfinite(fit.params)) and np.all(np.isfinite(fit.bse))
