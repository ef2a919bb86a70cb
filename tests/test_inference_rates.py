"""Poisson rate tests: exact conditional test, score CI, quasi-Poisson daily series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from reference_cases import CASES
from rollout_metrics.errors import DataValidationError, InsufficientDataError, MissingColumnError
from rollout_metrics.infer.rates import (
    overdispersed_rate_test,
    poisson_glm,
    poisson_rate_test,
    rate_test_auto,
)
from rollout_metrics.stats.sufficient import EventExposure

GU_AFTER = EventExposure(60, 51477.5)
GU_BEFORE = EventExposure(30, 54308.7)


def test_poisson_exact_conditional_gu() -> None:
    # R: exactci::poisson.exact(c(60, 30), c(51477.5, 54308.7), tsmethod = "minlike")
    case = CASES["poisson_exact_conditional_gu"]
    r = poisson_rate_test(GU_BEFORE, GU_AFTER)
    assert r.extra["ratio"] == pytest.approx(case["expected"]["rate_ratio"], abs=1e-12)
    assert r.p_value == pytest.approx(case["expected"]["p_two_sided"], abs=1e-13)
    assert r.method == "poisson_exact_conditional"
    assert (r.before, r.after) == pytest.approx((30 / 54308.7, 60 / 51477.5), rel=1e-12)


def test_poisson_score_ci_ratio_gu() -> None:
    # statsmodels confint_poisson_2indep(60, 51477.5, 30, 54308.7, method="score", compare="ratio")
    case = CASES["poisson_score_ci_ratio_gu"]
    r = poisson_rate_test(GU_BEFORE, GU_AFTER)
    tol = case["tolerance"]["ci_abs"]
    assert r.extra["ratio_ci_low"] == pytest.approx(case["expected"]["ci"][0], abs=tol)
    assert r.extra["ratio_ci_high"] == pytest.approx(case["expected"]["ci"][1], abs=tol)


def test_difference_ci_maps_ratio_ci() -> None:
    r = poisson_rate_test(GU_BEFORE, GU_AFTER)
    total, e_b, e_a = 90.0, 54308.7, 51477.5

    def d(ratio: float) -> float:
        return total * (ratio - 1) / (ratio * e_a + e_b)

    assert r.estimate == pytest.approx(60 / e_a - 30 / e_b, rel=1e-12)
    assert r.ci_low == pytest.approx(d(r.extra["ratio_ci_low"]), rel=1e-12)
    assert r.ci_high == pytest.approx(d(r.extra["ratio_ci_high"]), rel=1e-12)
    assert r.ci_low < r.estimate < r.ci_high


def test_zero_events_in_one_period() -> None:
    up = poisson_rate_test(EventExposure(0, 100.0), EventExposure(6, 100.0))
    assert up.extra["ratio"] == np.inf and up.extra["ratio_ci_high"] == np.inf
    assert up.ci_low <= up.estimate == up.ci_high == pytest.approx(0.06)
    assert up.p_value == pytest.approx(stats.binomtest(6, 6, 0.5).pvalue)
    down = poisson_rate_test(EventExposure(6, 100.0), EventExposure(0, 100.0))
    assert down.extra["ratio"] == 0.0 and down.ci_low == down.estimate


def test_rate_errors() -> None:
    with pytest.raises(InsufficientDataError, match="no events in either period"):
        poisson_rate_test(EventExposure(0, 10.0), EventExposure(0, 10.0))
    with pytest.raises(InsufficientDataError, match="before exposure must be positive"):
        poisson_rate_test(EventExposure(1, 0.0), EventExposure(1, 10.0))
    with pytest.raises(DataValidationError, match="after events must be a non-negative integer"):
        poisson_rate_test(EventExposure(1, 5.0), EventExposure(-2, 10.0))


def _daily(seed: int, k: float | None = 2.0, days: int = 112) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2024-01-01", periods=days, freq="D")
    pattern = np.array([1.3, 1.2, 1.1, 1.0, 0.9, 0.7, 0.8])[dates.day_of_week]
    exposure = 10_000 * (1 + 0.02 * rng.standard_normal(days))
    mu = 12 * pattern * exposure / 10_000
    lam = mu if k is None else rng.gamma(k, mu / k)
    return pd.DataFrame(
        {
            "date": dates,
            "events": rng.poisson(lam),
            "exposure": exposure,
            "period": ["before"] * (days // 2) + ["after"] * (days - days // 2),
        }
    )


def test_glm_matches_statsmodels() -> None:
    daily = _daily(1)
    y = daily["events"].to_numpy(float)
    dummies = pd.get_dummies(daily["date"].dt.day_of_week, drop_first=True, dtype=float)
    x = np.column_stack([np.ones(len(y)), (daily["period"] == "after").to_numpy(float), dummies])
    beta, cov, mu = poisson_glm(y, daily["exposure"].to_numpy(float), x)
    fit = sm.GLM(
        y, x, family=sm.families.Poisson(), offset=np.log(daily["exposure"].to_numpy(float))
    ).fit()
    assert beta == pytest.approx(fit.params, abs=1e-9)
    assert np.sqrt(np.diag(cov)) == pytest.approx(fit.bse, rel=1e-7)
    assert mu == pytest.approx(fit.mu, rel=1e-8)


def test_overdispersed_rate_test_structure() -> None:
    daily = _daily(2)
    snapshot = daily.copy()
    r = overdispersed_rate_test(daily)
    pd.testing.assert_frame_equal(daily, snapshot)  # caller's frame untouched
    assert r.method == "quasi_poisson_glm_t"
    assert r.extra["phi"] > 2  # gamma-Poisson noise with k = 2 at 12 a day
    assert r.extra["df"] == 112 - 8
    assert r.ci_low < r.estimate < r.ci_high
    assert r.extra["ratio_ci_low"] < r.extra["ratio"] < r.extra["ratio_ci_high"]
    # before/after are the observed rates; the model's ratio is weekday-adjusted
    after = daily["period"] == "after"
    assert r.before == daily.events[~after].sum() / daily.exposure[~after].sum()
    assert r.after == daily.events[after].sum() / daily.exposure[after].sum()
    assert r.after / r.before == pytest.approx(r.extra["ratio_observed"], rel=1e-12)
    assert r.estimate == r.after - r.before
    assert (r.p_value < 0.05) == (r.ci_low > 0 or r.ci_high < 0)
    # whole weeks with a flat exposure: adjusted and observed ratios nearly agree
    assert r.extra["ratio"] == pytest.approx(r.extra["ratio_observed"], rel=0.02)
    assert r.extra["estimate_adjusted"] == pytest.approx(r.estimate, rel=0.05)
    # t statistic and p agree with the reported se and df
    assert r.p_value == pytest.approx(2 * stats.t.sf(abs(r.statistic), r.extra["df"]))


def test_rate_test_auto_chooses_by_phi() -> None:
    noisy = rate_test_auto(_daily(3, k=2.0))
    assert noisy.method == "quasi_poisson_glm_t" and noisy.extra["phi"] > 1
    flat = _daily(4, k=None)
    flat["events"] = 12  # less variable than Poisson: phi < 1
    exact = rate_test_auto(flat)
    assert exact.method == "poisson_exact_conditional"
    assert exact.extra["phi"] <= 1
    totals = flat.groupby("period")[["events", "exposure"]].sum()
    direct = poisson_rate_test(
        EventExposure(int(totals.loc["before", "events"]), totals.loc["before", "exposure"]),
        EventExposure(int(totals.loc["after", "events"]), totals.loc["after", "exposure"]),
    )
    assert exact.p_value == direct.p_value


def test_daily_errors() -> None:
    daily = _daily(5)
    with pytest.raises(MissingColumnError, match=r"missing column\(s\) \['exposure'\]"):
        overdispersed_rate_test(daily.drop(columns="exposure"))
    bad = daily.assign(period=["transition"] * 3 + list(daily["period"][3:]))
    with pytest.raises(DataValidationError, match="3 row\\(s\\) have other values"):
        overdispersed_rate_test(bad)
    with pytest.raises(DataValidationError, match="events must be non-negative whole numbers"):
        overdispersed_rate_test(daily.assign(events=daily["events"] - 100))
    with pytest.raises(DataValidationError, match="exposure must be positive"):
        overdispersed_rate_test(daily.assign(exposure=0.0))
    with pytest.raises(InsufficientDataError, match="no after days"):
        overdispersed_rate_test(daily.assign(period="before"))
    with pytest.raises(InsufficientDataError, match="no events in the after period"):
        overdispersed_rate_test(daily.assign(events=np.where(daily["period"] == "after", 0, 5)))
    with pytest.raises(InsufficientDataError, match="too few for a model"):
        overdispersed_rate_test(daily.iloc[52:60])
    with pytest.raises(DataValidationError, match="must be a pandas DataFrame"):
        overdispersed_rate_test([1, 2])  # type: ignore[arg-type]


def test_observed_ratio_outside_the_model_interval() -> None:
    # A weekday-adjusted ratio of 1.5 (CI 1.2-1.8) beside an observed ratio of 0.9: the
    # interval reaches the observed difference, which crosses 0, so the data give no direction.
    from rollout_metrics.infer.rates import _rate_result

    common = {"y_b": 100.0, "e_b": 100.0, "e_a": 100.0, "statistic": 2.5, "method": "m",
              "alpha": 0.05, "extra": {}}
    r = _rate_result(ratio=1.5, ratio_low=1.2, ratio_high=1.8, y_a=90.0, p_value=0.001,
                     **common)  # type: ignore[arg-type]
    assert (r.before, r.after, r.estimate) == pytest.approx((1.0, 0.9, -0.1))
    assert r.ci_low == pytest.approx(-0.1) and r.ci_high > 0 and r.p_value == 1.0
    # the same direction: widened to the estimate, p kept
    s = _rate_result(ratio=1.5, ratio_low=1.2, ratio_high=1.3, y_a=140.0, p_value=0.001,
                     **common)  # type: ignore[arg-type]
    assert s.ci_high == pytest.approx(0.4) and s.ci_low > 0 and s.p_value == 0.001
