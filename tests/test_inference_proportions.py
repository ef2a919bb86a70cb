"""Two-proportion test, Newcombe and Wilson intervals against cases.json."""

from __future__ import annotations

import math

import pytest
from scipy import stats

from reference_cases import CASES
from rollout_metrics.errors import DataValidationError, InsufficientDataError
from rollout_metrics.infer.two_sample import proportion_diff, wilson_interval
from rollout_metrics.stats.sufficient import Proportion


def test_newcombe_hybrid_perondi2004() -> None:
    # R: contingencytables::Newcombe_hybrid_score_CI_2x2(perondi_2004) -> 0.1765 (0.0189, 0.3404)
    case = CASES["newcombe_hybrid_perondi2004"]
    i = case["inputs"]
    r = proportion_diff(Proportion(i["x2"], i["n2"]), Proportion(i["x1"], i["n1"]))
    assert r.estimate == pytest.approx(case["expected"]["diff"], abs=1e-12)
    tol = case["tolerance"]["ci_abs"]
    assert r.ci_low == pytest.approx(case["expected"]["ci"][0], abs=tol)
    assert r.ci_high == pytest.approx(case["expected"]["ci"][1], abs=tol)
    # statsmodels confint_proportions_2indep(method='newcomb') quoted in the case source
    assert (r.ci_low, r.ci_high) == pytest.approx((0.018921443885773, 0.340368687032707), abs=1e-12)


def test_wilson_ligarden2010() -> None:
    # R: contingencytables::Wilson_score_CI_1x2(13, 16) -> 0.8125 (0.5699 to 0.9341)
    case = CASES["wilson_ligarden2010"]
    low, high = wilson_interval(Proportion(13, 16))
    tol = case["tolerance"]["ci_abs"]
    assert low == pytest.approx(case["expected"]["ci"][0], abs=tol)
    assert high == pytest.approx(case["expected"]["ci"][1], abs=tol)


def test_two_prop_ztest_pooled() -> None:
    # R: pairwise.prop.test(smokers2, patients) raw p (statsmodels res_ppt_pvals_raw[0])
    case = CASES["two_prop_ztest_pooled"]
    i, exp = case["inputs"], case["expected"]
    r = proportion_diff(Proportion(i["x2"], i["n2"]), Proportion(i["x1"], i["n1"]))
    assert r.p_value == pytest.approx(exp["p_two_sided"], abs=case["tolerance"]["p_abs"])
    assert r.statistic**2 == pytest.approx(exp["chi2"], abs=case["tolerance"]["chi2_abs"])
    assert abs(r.statistic) == pytest.approx(exp["z_abs"], abs=1e-9)
    assert r.method == "two_proportion_z_newcombe"


def test_matches_chi2_contingency_without_correction() -> None:
    table = [[30, 70], [45, 55]]
    chi2, p, _, _ = stats.chi2_contingency(table, correction=False)
    r = proportion_diff(Proportion(30, 100), Proportion(45, 100))
    assert r.p_value == pytest.approx(p, rel=1e-12)
    assert r.statistic**2 == pytest.approx(chi2, rel=1e-12)


def test_all_or_nothing_samples() -> None:
    r = proportion_diff(Proportion(0, 20), Proportion(0, 30))
    assert r.degenerate and math.isnan(r.p_value)  # the pooled SE is 0: no z test
    assert r.ci_low < 0.0 < r.ci_high
    assert wilson_interval(Proportion(0, 10))[0] == 0.0
    assert wilson_interval(Proportion(10, 10))[1] == 1.0


def test_proportion_errors() -> None:
    with pytest.raises(InsufficientDataError, match="before has no observations"):
        proportion_diff(Proportion(0, 0), Proportion(1, 2))
    with pytest.raises(DataValidationError, match="after has more successes"):
        proportion_diff(Proportion(1, 2), Proportion(5, 3))
    with pytest.raises(DataValidationError, match="before successes must be a non-negative"):
        proportion_diff(Proportion(-1, 2), Proportion(1, 3))
    with pytest.raises(DataValidationError, match="alpha must be a number"):
        wilson_interval(Proportion(1, 2), alpha=0)
