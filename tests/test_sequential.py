"""Group-sequential boundaries, repeated p-values and intervals (infer/sequential.py).

Reference values:

* Classical constants, Jennison & Turnbull (2000), *Group Sequential Methods with
  Applications to Clinical Trials*, Table 2.1 (Pocock, C_P(K, 0.05)) and Table 2.3
  (O'Brien–Fleming, C_B(K, 0.05)), two-sided alpha = 0.05, K equally spaced looks.
* Lan–DeMets spending boundaries from R package rpact 3.x (Debian r-cran-rpact),
  ``getDesignGroupSequential(typeOfDesign = "asOF" / "asP")``: ``tests/r/sequential_bounds.R``
  prints every value below (R 4.2.2).  The 5-look O'Brien–Fleming-type values are also those
  of DeMets & Lan (1994), Statistics in Medicine 13, 1341–1352.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from rollout_metrics.errors import DataValidationError
from rollout_metrics.infer.sequential import (
    constant_boundary,
    crossing_probabilities,
    design,
    information_fraction,
    margin_limit,
    repeated_pvalue,
    sequential_table,
    spend,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import sequential as seq_bench

# Jennison & Turnbull (2000), Tables 2.1 and 2.3 (alpha = 0.05, two-sided)
POCOCK = {2: 2.178, 3: 2.289, 4: 2.361, 5: 2.413, 8: 2.512, 10: 2.555}
OBRIEN_FLEMING = {2: 1.977, 3: 2.004, 4: 2.024, 5: 2.040, 8: 2.072, 10: 2.087}

EQ5 = np.arange(1, 6) / 5
EQ8 = np.arange(1, 9) / 8
INFO8 = 2 * EQ8 / (1 + EQ8)
# rpact getDesignGroupSequential(...)$criticalValues, tests/r/sequential_bounds.R
RPACT = [
    (EQ5, 0.05, "obrien_fleming", 2, [4.8769, 3.3570, 2.6803, 2.2898, 2.0310]),
    (EQ5, 0.05, "pocock", 2, [2.4380, 2.4268, 2.4102, 2.3966, 2.3860]),
    (EQ8, 0.05, "obrien_fleming", 2,
     [6.2320, 4.3326, 3.4814, 2.9796, 2.6443, 2.4012, 2.2146, 2.0658]),
    (EQ8, 0.05, "pocock", 2, [2.5853, 2.5584, 2.5293, 2.5057, 2.4868, 2.4714, 2.4587, 2.4480]),
    (INFO8, 0.05, "obrien_fleming", 2,
     [4.6127, 3.3574, 2.8367, 2.5563, 2.3805, 2.2596, 2.1710, 2.1031]),
    (INFO8, 0.05, "obrien_fleming", 1,
     [3.9965, 2.8893, 2.4397, 2.2008, 2.0518, 1.9495, 1.8747, 1.8175]),
    ([0.2, 0.45, 0.7, 1.0], 0.025, "pocock", 1, [2.4380, 2.3765, 2.3631, 2.3265]),
]


@pytest.mark.parametrize("k", sorted(POCOCK))
def test_classical_constants_match_jennison_turnbull(k: int) -> None:
    assert constant_boundary(k, shape="pocock") == pytest.approx(POCOCK[k], abs=6e-4)
    assert constant_boundary(k, shape="obrien_fleming") == pytest.approx(
        OBRIEN_FLEMING[k], abs=6e-4)


@pytest.mark.parametrize(("times", "alpha", "spending", "sides", "expected"), RPACT)
def test_spending_boundaries_match_rpact(times: object, alpha: float, spending: str,
                                         sides: int, expected: list[float]) -> None:
    d = design(times, alpha, spending, sides)  # type: ignore[arg-type]
    np.testing.assert_allclose(d.bounds, expected, atol=2e-4)


@pytest.mark.parametrize("spending", ["obrien_fleming", "pocock"])
@pytest.mark.parametrize("sides", [1, 2])
def test_boundaries_spend_exactly_alpha(spending: str, sides: int) -> None:
    t = information_fraction(np.arange(1, 57) / 56)  # daily looks
    d = design(t, 0.05, spending, sides)
    crossed = crossing_probabilities(d.bounds, t, sides)
    np.testing.assert_allclose(np.cumsum(crossed), d.spent, atol=2e-6)
    assert d.spent[-1] == pytest.approx(0.05)


def test_spending_functions() -> None:
    assert spend([0.0, 1.0], 0.05).tolist() == [0.0, pytest.approx(0.05)]
    assert spend(0.5, 0.05, "pocock") == pytest.approx(0.05 * np.log(1 + (np.e - 1) / 2))
    # R: 2 - 2 * pnorm(qnorm(1 - 0.025 / 2) / sqrt(0.5))
    assert spend(0.5, 0.025) == pytest.approx(0.0015253228, abs=1e-9)
    with pytest.raises(DataValidationError, match="pocock"):
        spend(0.5, 0.05, "haybittle")


def test_information_fraction_of_a_growing_after_window() -> None:
    np.testing.assert_allclose(information_fraction([0.125, 1.0]), [2 / 9, 1.0])
    np.testing.assert_allclose(information_fraction([0.5], ratio=0.0), [0.5])
    np.testing.assert_allclose(information_fraction([2.0]), [1.0])  # capped


def test_repeated_pvalue_agrees_with_the_boundary() -> None:
    d = design(INFO8[:3], 0.05)
    c = d.bounds[-1]
    p = repeated_pvalue([c - 1e-6, c + 1e-6, -c - 1e-6, 0.0, 10.0], INFO8[:3], alpha=0.05)
    assert p[0] > 0.05 and p[1] <= 0.05 and p[2] <= 0.05
    assert p[3] == 1.0 and p[4] == pytest.approx(1e-8)
    # an interior level: the p-value is the level whose boundary is |z|
    for level in (0.01, 0.2):
        z = design(INFO8[:3], level).bounds[-1]
        assert repeated_pvalue(z, INFO8[:3])[()] == pytest.approx(level, rel=2e-3)
    # the last look of a one-look design is the fixed-horizon test
    assert repeated_pvalue(1.96, [1.0])[()] == pytest.approx(0.05, rel=1e-3)


def test_bad_times() -> None:
    with pytest.raises(DataValidationError, match="increasing"):
        design([0.5, 0.5])
    with pytest.raises(DataValidationError, match="sides"):
        design([1.0], sides=3)


# -- compare's rows ------------------------------------------------------------------------
def _rows() -> pd.DataFrame:
    return pd.DataFrame({
        "metric": ["nps", "nps", "csat", "churn"],
        "segment": ["overall", "VIP", "overall", "overall"],
        "comparison": ["after_vs_before", "after_vs_before", "after_vs_before",
                       "transition_vs_before"],
        "delta": [-4.0, 0.0, 2.0, 0.3],
        "ci_low": [-7.0, -3.0, -0.1, 0.1],
        "ci_high": [-1.0, 3.0, 4.1, 0.5],
        "p_value": [0.009, 1.0, 0.06, 0.004],
    })


def test_sequential_table_is_consistent_with_its_boundary() -> None:
    shares = [1 / 8, 2 / 8, 3 / 8]
    t = sequential_table(_rows(), shares, correction="none")
    times = information_fraction(shares)
    c = design(times, 0.05).bounds[-1]
    grow = t["comparison"] == "after_vs_before"
    assert (t.loc[grow, "seq_bound"] == c).all()
    # z from the p-value, se = |delta| / |z|, the interval delta ± c se
    z = stats.norm.isf(0.009 / 2)
    assert t.loc[0, "seq_z"] == pytest.approx(-z)
    assert t.loc[0, "seq_ci_high"] == pytest.approx(-4.0 + c * 4.0 / z)
    # delta 0 and p = 1: the se of the fixed interval
    assert t.loc[1, "seq_se"] == pytest.approx(3.0 / stats.norm.isf(0.025))
    # the wider interval contains 0 where the fixed one did not: not significant
    assert not t.loc[0, "seq_significant"] and t.loc[0, "seq_p_value"] > 0.05
    assert t.loc[0, "seq_ci_low"] < 0 < t.loc[0, "seq_ci_high"]
    # the transition window is complete before the change: fixed-horizon columns
    assert t.loc[3, "seq_p_value"] == 0.004 and t.loc[3, "seq_ci_low"] == 0.1
    assert bool(t.loc[3, "seq_significant"])
    # never significant beside an interval containing 0, and p <= alpha <=> |z| >= c
    sig = t["seq_significant"].astype(bool)
    assert not (sig & (t["seq_ci_low"] <= 0) & (t["seq_ci_high"] >= 0)).any()
    assert ((t.loc[grow, "seq_p_value"] < 0.05) == (t.loc[grow, "seq_z"].abs() >= c)).all()


def test_sequential_table_at_the_last_look_of_one() -> None:
    # one look at the whole window: the fixed-horizon test
    t = sequential_table(_rows(), [1.0], correction="none")
    np.testing.assert_allclose(t["seq_p_value"], _rows()["p_value"], rtol=2e-3)


def test_margin_limit() -> None:
    times = information_fraction([0.5, 1.0])
    c = design(times, 0.05, sides=1).bounds[-1]
    assert margin_limit(-6.0, 1.0, True, times, 0.05)[()] == pytest.approx(-6.0 + c)
    assert margin_limit(2.0, 0.5, False, times, 0.05)[()] == pytest.approx(2.0 - 0.5 * c)


# -- A/A calibration over repeated looks (smoke size; benchmarks/sequential.py: full) -------
N_SMOKE = 1500


def _band(rate: float, n: int) -> tuple[float, float]:
    se = math.sqrt(rate * (1 - rate) / n)
    return rate - 3 * se, rate + 3 * se


@pytest.mark.parametrize("spending", ["obrien_fleming", "pocock"])
def test_weekly_looks_hold_alpha_and_coverage(spending: str) -> None:
    delta, p, lo, hi = seq_bench.simulate(N_SMOKE, 8, seed=7)
    out = seq_bench.run_looks(delta, p, lo, hi, spending)
    low, high = _band(0.05, N_SMOKE)
    assert low <= out["sig"].any(axis=1).mean() <= high
    assert out["cover"].all(axis=1).mean() >= 0.95 - (0.05 - low)
    assert low <= (out["upper"] < 0).any(axis=1).mean() <= high  # one-sided guardrail
    # the fixed-horizon test at every look does not
    assert (p < 0.05).any(axis=1).mean() > high
