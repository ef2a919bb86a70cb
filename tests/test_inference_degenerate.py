"""Zero or rounding-level variance is not certainty: every test's degenerate case.

The model is R's ``t.test``, which refuses "essentially constant" data; its rule and output are
printed by ``tests/r/t_test_constant.R`` and copied into ``T_TEST_CONSTANT_R`` below.
"""

from __future__ import annotations

import math
import sys
from typing import Any

import numpy as np
import pytest

from rollout_metrics.infer.ranks import quantile_diff
from rollout_metrics.infer.two_sample import (
    CONSTANT_TOLERANCE,
    essentially_constant,
    nps_diff,
    proportion_diff,
    welch_diff,
)
from rollout_metrics.stats.sufficient import Moments, NpsCounts, Proportion, ValueCounts

# Printed by `Rscript tests/r/t_test_constant.R` (R 4.2.2 Patched (2022-11-10 r83330)):
# t.test(x, y) (Welch).  stats:::t.test.default:
#   if (stderr < 10 * .Machine$double.eps * max(abs(mx), abs(my)))
#       stop("data are essentially constant")
T_TEST_CONSTANT_R: dict[str, Any] = {
    "source": "R 4.2.2 stats:::t.test.default, tests/r/t_test_constant.R",
    "rule": {"relative_tolerance": 10 * 2.2204460492503131e-16},
    "cases": {
        "constant_apart": {"x": [3.0] * 3, "y": [2.0] * 4,
                           "error": "data are essentially constant"},
        "constant_same": {"x": [0.1] * 1000, "y": [0.1] * 1000,
                          "error": "data are essentially constant"},
        "constant_zero": {"x": [0.0] * 3, "y": [0.0] * 4, "t": math.nan, "p": math.nan},
        "nearly_constant": {"x": [1.0, 1.0, 1.0001], "y": [1.0, 1.0, 1.0], "t": 1.0, "df": 2.0,
                            "p": 0.422649730810374,
                            "ci": (-0.000110088424324970, 0.000176755090991629)},
    },
}


def _moments(values: list[float]) -> Moments:
    return ValueCounts.from_values(values).moments()


def test_t_test_constant_R_tolerance() -> None:
    # case t_test_constant_R: the same relative tolerance as R
    assert T_TEST_CONSTANT_R["rule"]["relative_tolerance"] == CONSTANT_TOLERANCE
    assert 10 * sys.float_info.epsilon == CONSTANT_TOLERANCE
    tol = CONSTANT_TOLERANCE * 3.0
    assert essentially_constant(0.99 * tol, 3.0, -2.0)
    assert not essentially_constant(1.01 * tol, 3.0, -2.0)
    assert essentially_constant(0.0, 0.0, 0.0)  # R: t = 0/0, p NA
    assert essentially_constant(math.nan, 1.0)


@pytest.mark.parametrize("name", ["constant_apart", "constant_same", "constant_zero"])
def test_t_test_constant_R_refused(name: str) -> None:
    # case t_test_constant_R: R stops ("data are essentially constant") or returns t = NaN;
    # welch_diff returns a degenerate result without p-value or interval.  constant_same
    # needs the rounding rule for moments: from sums, 1,000 x 0.1 leave a variance of 2e-18.
    case = T_TEST_CONSTANT_R["cases"][name]
    r = welch_diff(_moments(case["y"]), _moments(case["x"]))
    assert r.degenerate
    assert math.isnan(r.p_value) and math.isnan(r.statistic) and math.isnan(r.extra["df"])
    assert math.isnan(r.ci_low) and math.isnan(r.ci_high)
    assert r.estimate == pytest.approx(np.mean(case["x"]) - np.mean(case["y"]), abs=1e-15)


def test_t_test_constant_R_nearly_constant_is_tested() -> None:
    # case t_test_constant_R: above the tolerance R runs the test; so does welch_diff
    case = T_TEST_CONSTANT_R["cases"]["nearly_constant"]
    r = welch_diff(_moments(case["y"]), _moments(case["x"]))
    assert not r.degenerate
    assert r.statistic == pytest.approx(case["t"], rel=1e-6)
    assert r.extra["df"] == pytest.approx(case["df"], rel=1e-6)
    assert r.p_value == pytest.approx(case["p"], rel=1e-6)
    assert (r.ci_low, r.ci_high) == pytest.approx(case["ci"], rel=1e-5)


def test_rounding_level_variance_of_large_values() -> None:
    # The sums of three values 1e6 + 0.1 leave a variance of 2.4e-4: still constant.
    const = _moments([1e6 + 0.1] * 3)
    assert const.variance > 0
    assert welch_diff(const, const).degenerate
    spread = _moments([1e6, 1e6 + 1, 1e6 + 2])
    assert not welch_diff(spread, const).degenerate


def test_nps_wald_on_one_category() -> None:
    # all promoters in both periods, or all promoters then all detractors: SE 0
    for before, after in ((NpsCounts(40, 0, 0), NpsCounts(50, 0, 0)),
                          (NpsCounts(40, 0, 0), NpsCounts(0, 0, 30)),
                          (NpsCounts(0, 35, 0), NpsCounts(0, 20, 0))):
        r = nps_diff(before, after, method="wald")
        assert r.degenerate and math.isnan(r.p_value)
        assert math.isnan(r.ci_low) and math.isnan(r.ci_high)
    # the adjusted Wald's pseudo-counts give every sample a variance: tested, p = 1
    adj = nps_diff(NpsCounts(40, 0, 0), NpsCounts(50, 0, 0))
    assert not adj.degenerate and adj.p_value == 1.0 and adj.ci_low < 0 < adj.ci_high


@pytest.mark.parametrize(("xb", "xa"), [(0, 0), (60, 45)])
def test_proportion_at_zero_or_one_in_both_periods(xb: int, xa: int) -> None:
    r = proportion_diff(Proportion(xb, 60), Proportion(xa, 45))
    assert r.degenerate and math.isnan(r.p_value) and math.isnan(r.statistic)
    # the Newcombe interval stays: it has positive width and contains 0
    assert r.ci_low < 0 < r.ci_high
    assert not proportion_diff(Proportion(0, 60), Proportion(1, 45)).degenerate


def test_quantile_of_constant_samples() -> None:
    a = ValueCounts.from_pairs([60.0], [40])
    b = ValueCounts.from_pairs([75.0], [35])
    for before, after in ((a, a), (a, b)):
        r = quantile_diff(before, after, n_resamples=200)
        assert r.degenerate and math.isnan(r.p_value)
        assert math.isnan(r.ci_low) and math.isnan(r.ci_high)
        assert r.extra["boot_sd"] == 0.0
    # one constant period is not degenerate: the other carries the sampling variability
    spread = ValueCounts.from_values(np.arange(40.0, 80.0))
    assert not quantile_diff(a, spread, n_resamples=200).degenerate
