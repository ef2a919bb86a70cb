"""The always-valid confidence sequence of unplanned looks (infer/always_valid.py).

Reference values: the radius computed independently in R (``tests/r/always_valid.R``, R
4.2.2) by integrating the normal-mixture martingale numerically and solving ``M = 1/α``; the
closed form must agree to 1e-5.  The half-width GrowthBook's ``gbstats`` reports
(``sequential_interval_halfwidth``: ``√s2·√(2(nρ² + 1)·ln(√(nρ² + 1)/α)/(nρ)²)`` with ``s2``
the per-observation variance, ``n`` observations and ``ρ`` its mixing parameter) is the same
radius with ``se² = s2/n`` and ``τ² = ρ²·s2``; checked below.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rollout_metrics.errors import DataValidationError
from rollout_metrics.infer.always_valid import (
    best_ratio,
    cs_pvalue,
    cs_radius,
    mixture_variance,
)
from rollout_metrics.infer.sequential import (
    design,
    information_fraction,
    margin_limit,
    sequential_table,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import sequential as seq_bench

# Rscript tests/r/always_valid.R: (se, tau2, alpha) -> radius
R_RADIUS = [
    (1.0, 7.936, 0.05, 3.035209),
    (0.5, 4.0, 0.05, 1.531031),
    (2.0, 1.0, 0.05, 11.148639),
    (1.0, 1.0, 0.01, 4.450503),
    (0.3, 0.09, 0.10, 0.976574),
]


@pytest.mark.parametrize(("se", "tau2", "alpha", "expected"), R_RADIUS)
def test_radius_matches_numerical_mixture_in_r(se: float, tau2: float, alpha: float,
                                               expected: float) -> None:
    assert cs_radius(se, tau2, alpha)[()] == pytest.approx(expected, abs=1e-5)


def test_radius_is_growthbooks_halfwidth() -> None:
    s2, n, alpha, tuning = 4.0, 900, 0.05, 5000.0
    rho = math.sqrt((-2 * math.log(alpha) + math.log(-2 * math.log(alpha) + 1)) / tuning)
    x = n * rho**2 + 1
    halfwidth = math.sqrt(s2) * math.sqrt(2 * x * math.log(math.sqrt(x) / alpha)
                                          / (n * rho) ** 2)
    assert cs_radius(math.sqrt(s2 / n), rho**2 * s2, alpha)[()] == pytest.approx(halfwidth)
    # its tuning rule is ours: tau^2 / V = best_ratio(alpha) where n = N
    assert rho**2 * s2 / (s2 / tuning) == pytest.approx(best_ratio(alpha))


def test_pvalue_agrees_with_the_radius() -> None:
    se, tau2 = 0.8, 3.0
    r = cs_radius(se, tau2, 0.05)[()]
    assert cs_pvalue(r, se, tau2)[()] == pytest.approx(0.05)
    assert cs_pvalue(-r * 1.01, se, tau2)[()] < 0.05 < cs_pvalue(r * 0.99, se, tau2)[()]
    assert cs_pvalue(0.0, se, tau2)[()] == 1.0
    assert np.isnan(cs_pvalue(np.nan, se, tau2)[()])


def test_tau_rule_makes_the_end_of_the_window_tightest() -> None:
    # at information 1 the radius over se is the minimum over tau (the closed-form rule is
    # the approximate minimiser: within 0.01%), 3.035 at alpha 0.05
    tau2 = mixture_variance(1.0, 1.0, 0.05)
    grid = np.linspace(1.0, 20.0, 4000)
    assert cs_radius(1.0, tau2, 0.05)[()] == pytest.approx(cs_radius(1.0, grid, 0.05).min(),
                                                           rel=1e-4)
    assert cs_radius(1.0, tau2, 0.05)[()] / 1.959964 == pytest.approx(1.549, abs=1e-3)
    with pytest.raises(DataValidationError, match="alpha"):
        best_ratio(1.5)


def _rows() -> pd.DataFrame:
    return pd.DataFrame({
        "comparison": ["after_vs_before", "after_vs_before", "transition_vs_before"],
        "delta": [-4.0, 1.0, 0.3], "ci_low": [-7.0, -2.0, 0.1], "ci_high": [-1.0, 4.0, 0.5],
        "p_value": [0.009, 0.51, 0.004],
    })


def test_sequential_table_with_the_confidence_sequence() -> None:
    shares = [1 / 8, 2 / 8, 3 / 8, 5 / 8]
    t = sequential_table(_rows(), shares, correction="none", method="confidence_sequence")
    assert t["seq_method"].tolist() == ["confidence_sequence", "confidence_sequence",
                                        "fixed_horizon"]
    info = information_fraction(shares)[-1]
    se = t.loc[0, "seq_se"]
    r = cs_radius(se, mixture_variance(se, info), 0.05)[()]
    assert t.loc[0, "seq_ci_low"] == pytest.approx(-4.0 - r)
    assert t.loc[0, "seq_bound"] == pytest.approx(r / se)
    # wider than the group-sequential interval at the same (late) look
    g = sequential_table(_rows(), shares, correction="none")
    assert g["seq_method"].iloc[0] == "group_sequential"
    assert t.loc[0, "seq_bound"] > g.loc[0, "seq_bound"]
    # p <= alpha exactly when the interval excludes 0; the transition row is untouched
    sig = t["seq_significant"].astype(bool)
    excl = (t["seq_ci_low"] > 0) | (t["seq_ci_high"] < 0)
    assert (sig == excl).all()
    assert t.loc[2, "seq_p_value"] == 0.004
    with pytest.raises(DataValidationError, match="method"):
        sequential_table(_rows(), shares, method="bayes")


def test_margin_limit_of_the_confidence_sequence() -> None:
    times = information_fraction([0.5, 1.0])
    tau2 = mixture_variance(1.0, times[-1])
    r = cs_radius(1.0, tau2, 0.05)[()]
    assert margin_limit(-6.0, 1.0, True, times, 0.05, method="confidence_sequence")[()] == (
        pytest.approx(-6.0 + r))
    assert margin_limit(2.0, 1.0, False, times, 0.01, method="confidence_sequence",
                        tau2=tau2)[()] == pytest.approx(2.0 - cs_radius(1.0, tau2, 0.01)[()])
    # wider than the planned one-sided limit
    c = design(times, 0.05, sides=1).bounds[-1]
    assert r > c


# -- A/A over 56 unplanned daily looks (smoke size; benchmarks/sequential.py --unplanned) -----
N_SMOKE = 1500


def test_daily_unplanned_looks_hold_alpha_and_coverage() -> None:
    delta, p, lo, hi = seq_bench.simulate(N_SMOKE, 56, seed=11)
    out = seq_bench.run_looks(delta, p, lo, hi, "obrien_fleming",
                              method="confidence_sequence")
    slack = 3 * math.sqrt(0.05 * 0.95 / N_SMOKE)
    assert out["sig"].any(axis=1).mean() <= 0.05 + slack  # conservative: about 0.01
    assert out["cover"].all(axis=1).mean() >= 0.95 - slack
    assert (out["upper"] < 0).any(axis=1).mean() <= 0.05 + slack
