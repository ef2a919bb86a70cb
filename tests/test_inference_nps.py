"""NPS intervals and two-sample tests against cases.json reference values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from reference_cases import CASES
from rollout_metrics.errors import DataValidationError, InsufficientDataError
from rollout_metrics.infer.two_sample import nps_diff, nps_interval
from rollout_metrics.stats.sufficient import NpsCounts

CAVO = NpsCounts(6, 139, 16)


def test_nps_wald_ci_cavo2012() -> None:
    # R: contingencytables::Wald_CI_diff_paired_2x2(cavo_2012) -> -0.0621 (-0.1184 to -0.0058)
    case = CASES["nps_wald_ci_cavo2012"]
    low, high = nps_interval(CAVO, method="wald")
    tol = case["tolerance"]["ci_abs"]
    assert low == pytest.approx(case["expected"]["ci"][0], abs=tol)
    assert high == pytest.approx(case["expected"]["ci"][1], abs=tol)
    # the midpoint is the NPS fraction and the half-width z * se (NPS::npvar)
    assert (low + high) / 2 == pytest.approx(case["expected"]["nps"], abs=1e-12)
    assert (high - low) / (2 * 1.959963984540054) == pytest.approx(
        case["expected"]["se"], abs=1e-12
    )


def test_nps_score_tango_ci_cavo2012() -> None:
    # R: contingencytables::Tango_asymptotic_score_CI_paired_2x2(cavo_2012) -> (-0.1240, -0.0054)
    case = CASES["nps_score_tango_ci_cavo2012"]
    low, high = nps_interval(CAVO, method="tango")
    tol = case["tolerance"]["ci_abs"]
    assert low == pytest.approx(case["expected"]["ci"][0], abs=tol)
    assert high == pytest.approx(case["expected"]["ci"][1], abs=tol)
    # full precision quoted in the case notes (root finding)
    assert low == pytest.approx(-0.124023432464069, abs=1e-10)
    assert high == pytest.approx(-0.005433395731855, abs=1e-10)


def test_nps_adjusted_wald_rocks_cavo2012() -> None:
    # nps_test(test = "adjusted.wald"), pseudo_observations = c(0.75, 1.5, 0.75) (derived)
    case = CASES["nps_adjusted_wald_rocks_cavo2012"]
    low, high = nps_interval(CAVO, method="adjusted_wald")
    tol = case["tolerance"]["abs"]
    assert low == pytest.approx(case["expected"]["ci"][0], abs=tol)
    assert high == pytest.approx(case["expected"]["ci"][1], abs=tol)
    assert (low + high) / 2 == pytest.approx(case["expected"]["nps_adjusted"], abs=tol)


def test_nps_two_sample_wald() -> None:
    # two-sample branch of CRAN NPS::nps.test (derived); sample1 is "after"
    case = CASES["nps_two_sample_wald"]
    exp, tol = case["expected"], case["tolerance"]["abs"]
    r = nps_diff(
        NpsCounts(*case["inputs"]["sample2"]), NpsCounts(*case["inputs"]["sample1"]), method="wald"
    )
    assert r.estimate == pytest.approx(exp["diff"], abs=tol)
    assert r.extra["se"] == pytest.approx(exp["se"], abs=tol)
    assert r.statistic == pytest.approx(exp["z"], abs=tol)
    assert r.p_value == pytest.approx(exp["p_two_sided"], abs=tol)
    assert (r.ci_low, r.ci_high) == pytest.approx(exp["ci"], abs=tol)
    assert r.method == "nps_wald"


def test_adjusted_wald_diff_uses_adjusted_ci_and_raw_estimate() -> None:
    before, after = NpsCounts(291, 476, 395), CAVO
    r = nps_diff(before, after)
    assert r.method == "nps_adjusted_wald"
    assert r.before == pytest.approx(before.score / 100)
    assert r.after == pytest.approx(after.score / 100)
    assert r.estimate == pytest.approx(r.after - r.before)
    centre = r.extra["estimate_adjusted"]
    assert centre == pytest.approx((6 - 16) / 164 - (291 - 395) / 1165, abs=1e-12)
    assert (r.ci_low + r.ci_high) / 2 == pytest.approx(centre, abs=1e-12)
    assert r.p_value == pytest.approx(math.erfc(abs(centre / r.extra["se"]) / math.sqrt(2)))


def test_adjusted_wald_tiny_sample_widens_to_raw_estimate() -> None:
    # n = 1 each: adjusted difference 0.5, raw difference 2 lies outside the adjusted interval
    r = nps_diff(NpsCounts(0, 0, 1), NpsCounts(1, 0, 0))
    assert r.estimate == 2.0
    assert r.ci_low <= r.estimate <= r.ci_high


def test_adjusted_wald_no_direction_gives_p_one() -> None:
    # both all promoters: raw difference 0, the adjustment alone would suggest a change
    r = nps_diff(NpsCounts(1, 0, 0), NpsCounts(1000, 0, 0))
    assert r.estimate == 0.0
    assert r.p_value == 1.0
    assert r.ci_low <= 0.0 <= r.ci_high


def test_wald_degenerate_samples() -> None:
    # SE 0 is no certainty: no p-value and no interval (tests/test_inference_degenerate.py)
    same = nps_diff(NpsCounts(10, 0, 0), NpsCounts(20, 0, 0), method="wald")
    apart = nps_diff(NpsCounts(0, 0, 10), NpsCounts(20, 0, 0), method="wald")
    for r in (same, apart):
        assert r.degenerate
        assert np.isnan([r.p_value, r.ci_low, r.ci_high]).all()
    assert apart.estimate == 2.0


@pytest.mark.parametrize("method", ["wald", "adjusted_wald", "tango"])
def test_interval_edges(method: str) -> None:
    for counts in (NpsCounts(5, 0, 0), NpsCounts(0, 0, 5), NpsCounts(0, 5, 0)):
        low, high = nps_interval(counts, method=method)  # type: ignore[arg-type]
        assert -1.0 <= low <= high <= 1.0
        if method != "adjusted_wald":
            assert low <= counts.score / 100 <= high


def test_nps_errors() -> None:
    with pytest.raises(InsufficientDataError, match="before has no NPS responses"):
        nps_diff(NpsCounts(0, 0, 0), CAVO)
    with pytest.raises(DataValidationError, match="after promoters must be a non-negative integer"):
        nps_diff(CAVO, NpsCounts(-1, 3, 4))
    with pytest.raises(DataValidationError, match="passives must be a non-negative integer"):
        nps_interval(NpsCounts(1, 2.5, 3))  # type: ignore[arg-type]
    with pytest.raises(DataValidationError, match="unknown method 'exact'"):
        nps_diff(CAVO, CAVO, method="exact")  # type: ignore[arg-type]
    with pytest.raises(DataValidationError, match="unknown method 'score'"):
        nps_interval(CAVO, method="score")  # type: ignore[arg-type]
    with pytest.raises(
        DataValidationError, match="alpha must be a number strictly between 0 and 1"
    ):
        nps_diff(CAVO, CAVO, alpha=1.5)
