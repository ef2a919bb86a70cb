"""Coverage and false-positive smoke checks of its() and did() (seeded; slow).

The ITS set-up is METHODS.md's: 120 days before, 60 after, linear trend, weekly pattern,
AR(1) noise. The simulators live in benchmarks/its_coverage.py; its ``--test-scenarios`` run
gives the full-size figures of the ITS scenarios and the many-unit DiD (1,000 series, 300
panels, same seeds) against the bands of docs/methods.md, and ``--few-treated`` those of the
few-treated DiD scenarios (1,000 + 1,000 panels, same seeds, 999 bootstrap samples). Here
each scenario runs at smoke size and the band is the target rate ± 3 binomial standard
errors at that size, so a seeded run that passes says the rate is not grossly off; the
precise figures come from the benchmark.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import its_coverage as itc

pytestmark = pytest.mark.slow

N_ITS = 300  # series per ITS scenario (1,000 in the benchmark)
N_DID = 100  # panels (300 in the benchmark)


def band(rate: float, n: int) -> tuple[float, float]:
    """``rate`` ± 3 binomial standard errors of a rate measured on ``n`` simulations."""
    se = math.sqrt(rate * (1 - rate) / n)
    return rate - 3 * se, rate + 3 * se


def test_its_gls_ar_coverage_with_ar1_noise() -> None:
    # Full size (benchmark, 1,000 series): 0.947 with the bias-corrected rho and the first
    # observation kept, 0.932 with plain GLSAR, band [0.93, 0.97]. Here 0.95 ± 3 SE at 300
    # series: [0.912, 0.988]; measured 0.957.
    coverage, _ = itc.its_rates(rho=0.5, level=-2.0, slope=0.03, n_sim=N_ITS, seed=20240501)
    lo, hi = band(0.95, N_ITS)
    assert lo <= coverage <= hi, coverage


def test_its_false_positive_rate_without_autocorrelation() -> None:
    # Full size: 0.050, band [0.035, 0.065]. Here 0.05 ± 3 SE at 300 series: [0.012, 0.088];
    # measured 0.043.
    _, fpr = itc.its_rates(rho=0.0, level=0.0, slope=0.0, n_sim=N_ITS, seed=20240502)
    lo, hi = band(0.05, N_ITS)
    assert lo <= fpr <= hi, fpr


def test_its_false_positive_rate_with_ar1_noise() -> None:
    # Full size: 0.068 with the bias-corrected rho and the first observation kept (0.047 on
    # the benchmark's seeds), 0.077 with plain GLSAR; above nominal because rho's sampling
    # error is not propagated (docs/methods.md). Guard there: [0.035, 0.075]. Here the lower
    # end is 0.05 - 3 SE and the guard 0.075 + 3 SE at 300 series: [0.012, 0.121]; measured
    # 0.077.
    _, fpr = itc.its_rates(rho=0.5, level=0.0, slope=0.0, n_sim=N_ITS, seed=20240504)
    assert band(0.05, N_ITS)[0] <= fpr <= band(0.075, N_ITS)[1], fpr


def test_did_false_positive_rate_parallel_trends() -> None:
    # 10 of 20 units treated, 14 + 14 days: the wild cluster bootstrap. Full size (300 panels,
    # benchmark --test-scenarios) band [0.02, 0.09]; here 0.05 ± 3 SE at 100 panels is
    # [-0.015, 0.115], so only the upper end can fail (too many false positives); measured
    # 0.05 / 0.05 / 0.04 (2x2, TWFE, pre-trend).
    rates = itc.did_rates(n_sim=N_DID, seed=20240503)
    hi = band(0.05, N_DID)[1]
    for term, rate in rates.items():
        assert rate <= hi, (term, rate)


N_FEW = 60  # panels per few-treated scenario and figure (1,000 in the benchmark)
B_FEW = 199  # bootstrap samples per test here (999, the default, in the benchmark)


@pytest.mark.parametrize("scenario", list(itc.FEW_TREATED))
def test_did_few_treated_units(scenario: str) -> None:
    # Daily panels, 56 + 56 days, AR(1) unit noise rho = 0.5, unit noise sd 0.5-2, no effect
    # (false-positive rate of every row) and effect 1 (coverage of the effect rows). The
    # CR1 t test these replace rejected in 0.24 (1 of 4), 0.46 (1 of 10) and 1.00 (1 of 2)
    # of the no-effect panels (benchmark --few-treated; docs/methods.md has the full-size
    # figures and their Monte Carlo SEs). Bands: the target ± 3 binomial SE at 60 panels,
    # 0.05 ± 0.084 and 0.95 ± 0.084, so a pass says the rate is not grossly off; the
    # pre-trend (measured on both sets, 120 panels) must stay below its guard 0.06 + 3 SE.
    n_units, n_treated = itc.FEW_TREATED[scenario]
    seed = 20240601 + 10 * list(itc.FEW_TREATED).index(scenario)
    r = itc.few_treated_rates(n_units, n_treated, N_FEW, seed, n_resamples=B_FEW)
    expected = "wild_cluster_bootstrap" if n_treated >= 5 else "gap_ar1_bootstrap"
    assert r["tests"] == expected
    lo, hi = band(0.05, N_FEW)
    for term in ("did_2x2", "did_twfe"):
        assert lo <= r[f"fpr {term}"] <= hi, (term, r)
        assert band(0.95, N_FEW)[0] <= r[f"coverage {term}"] <= band(0.95, N_FEW)[1], (term, r)
    assert r["fpr pre_trend"] <= band(0.06, 2 * N_FEW)[1], r


N_COUNTS = 300  # count series per scenario (1,000 in the benchmark, --counts)


@pytest.mark.parametrize("row", [4, 6])
def test_its_counts_false_positive_rate(row: int) -> None:
    # Daily counts, no effect: row 4 of benchmark --counts (drifting log-rate, AR(1) 0.5,
    # 90 + 56 days), row 6 (independent overdispersed days, 56 + 56), same seeds (1007 + row).
    # Full size (1,000 series): level / ratio / slope 0.054 / 0.058 / 0.054 (row 4; the earlier
    # AR fit of BIC order 0.097 / 0.093 / 0.090 on 300) and 0.045 / 0.055 / 0.057 (row 6);
    # docs/methods.md. Band: 0.05 and 0.95 +- 3 SE at 300 series.
    label, ratio, rho, n_before, n_after, shape = itc.COUNT_SCENARIOS[row]
    make = itc.count_case(ratio, rho, n_before, n_after, shape=shape)
    r = itc.count_rates(make, "quasipoisson", N_COUNTS, 1007 + row)
    lo, hi = band(0.05, N_COUNTS)
    for key in ("reject level", "reject ratio", "reject slope"):
        assert lo <= r[key] <= hi, (label, key, r)
    assert band(0.95, N_COUNTS)[0] <= r["coverage level"] <= band(0.95, N_COUNTS)[1], r
