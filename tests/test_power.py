"""Power formulas against Stata/PASS cases, and MDEs consistent with them."""

from __future__ import annotations

import math

import pytest
from scipy import optimize

from reference_cases import CASES
from rollout_metrics.errors import DataValidationError, InsufficientDataError
from rollout_metrics.infer.power import (
    mde_from_se,
    mde_mean,
    mde_nps,
    mde_proportion,
    mde_rate,
    power_poisson_diff,
    power_proportions_2indep,
)
from rollout_metrics.stats.sufficient import NpsCounts


def test_power_proportions_2indep_stata() -> None:
    # Stata: power twoproportions 0.015 0.001, n1(550) n2(550) (statsmodels test_power_2indep)
    case = CASES["power_proportions_2indep_stata"]
    i = case["inputs"]
    got = power_proportions_2indep(i["diff"], i["prop2"], i["nobs1"], ratio=i["ratio"])
    assert got == pytest.approx(case["expected"]["power"], abs=case["tolerance"]["abs"])


def test_power_poisson_diff_PASS436() -> None:
    # PASS chapter 436 example; statsmodels power_poisson_diff(15, 10, 6, 8/6, method_var="alt")
    case = CASES["power_poisson_diff_PASS436"]
    i = case["inputs"]
    got = power_poisson_diff(i["rate1"], i["rate2"], i["nobs1"], i["nobs2"], alternative="larger")
    assert got == pytest.approx(case["expected"]["power"], abs=case["tolerance"]["abs"])


def test_mde_from_se() -> None:
    assert mde_from_se(1.0) == pytest.approx(1.959963984540054 + 0.8416212335729143)
    assert mde_from_se(2.0, alpha=0.1, power=0.9) == pytest.approx(2 * (1.6448536 + 1.2815516))


@pytest.mark.parametrize(("p", "n_b", "n_a"), [(0.015, 550, 550), (0.3, 1000, 400), (0.9, 80, 120)])
def test_mde_proportion_inverts_power(p: float, n_b: float, n_a: float) -> None:
    d = mde_proportion(p, n_b, n_a)
    best = max(
        power_proportions_2indep(s * d, p, n_a, ratio=n_b / n_a)
        for s in (1, -1)
        if 0 <= p + s * d <= 1
    )
    assert best == pytest.approx(0.8, abs=1e-9)
    # a smaller change does not reach 80 % in either direction
    assert all(
        power_proportions_2indep(s * 0.99 * d, p, n_a, ratio=n_b / n_a) < 0.8 for s in (1, -1)
    )


def test_stata_case_n_gives_mde_of_its_diff() -> None:
    # at the n where the Stata case reaches 80 % power, the MDE equals its difference
    diff, p2 = -0.014, 0.015
    n = float(optimize.brentq(lambda m: power_proportions_2indep(diff, p2, m) - 0.8, 100, 5000))
    assert mde_proportion(p2, n, n) == pytest.approx(abs(diff), rel=1e-8)


def test_mde_rate_inverts_power() -> None:
    d = mde_rate(0.002, 50_000, 40_000)
    assert power_poisson_diff(0.002 - d, 0.002, 40_000, 50_000) == pytest.approx(0.8, abs=1e-9)
    # overdispersion (phi) widens the MDE (by about sqrt(phi) for small changes)
    d4 = mde_rate(0.002, 50_000, 40_000, phi=4.0)
    assert 1.5 * d < d4 < 2 * d
    assert power_poisson_diff(0.002 - d4, 0.002, 40_000, 50_000, phi=4.0) == pytest.approx(
        0.8, abs=1e-9
    )


def test_mde_rate_matches_pass_example_power() -> None:
    # PASS 436 rates 15 vs 10: the two-sided MDE at those exposures has power 0.8
    d = mde_rate(10, 8, 6)
    assert power_poisson_diff(10 + d, 10, 6, 8) == pytest.approx(0.8, abs=1e-9) or (
        power_poisson_diff(10 - d, 10, 6, 8) == pytest.approx(0.8, abs=1e-9)
    )


def test_mde_nps_and_mean() -> None:
    counts = NpsCounts(400, 300, 300)
    var = 0.7 - 0.01
    assert mde_nps(counts, 1000) == pytest.approx(mde_from_se(math.sqrt(var * 2 / 1000)))
    assert mde_mean(10.0, 100, 100) == pytest.approx(mde_from_se(math.sqrt(2.0)))


def test_unreachable_power_is_inf() -> None:
    assert mde_proportion(0.5, 2, 2) == math.inf


def test_power_errors() -> None:
    with pytest.raises(DataValidationError, match="power must be strictly between 0 and 1"):
        mde_from_se(1.0, power=1.0)
    with pytest.raises(DataValidationError, match="se must be finite and non-negative"):
        mde_from_se(-1.0)
    with pytest.raises(InsufficientDataError, match="before n must be positive"):
        mde_nps(NpsCounts(0, 0, 0), 10)
    with pytest.raises(DataValidationError, match=r"prop2 \+ diff must be in \[0, 1\]"):
        power_proportions_2indep(0.5, 0.8, 100)
    with pytest.raises(DataValidationError, match="unknown alternative 'bigger'"):
        power_poisson_diff(1, 2, 3, 4, alternative="bigger")  # type: ignore[arg-type]
    with pytest.raises(InsufficientDataError, match="exposure_after must be positive"):
        mde_rate(0.1, 10, 0)
    with pytest.raises(DataValidationError, match="sd must be finite and non-negative"):
        mde_mean(float("nan"), 10, 10)
