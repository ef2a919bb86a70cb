"""Coverage and false-positive simulations of its() and did() (slow; seeded).

The ITS set-up is METHODS.md's: 120 days before, 60 after, linear trend, weekly pattern,
AR(1) noise. Figures measured are printed by ``benchmarks/its_coverage.py``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rollout_metrics.designs.did import did
from rollout_metrics.designs.its import its

pytestmark = pytest.mark.slow

N_BEFORE, N_AFTER = 120, 60
DATES = pd.date_range("2024-01-01", periods=N_BEFORE + N_AFTER, freq="D")
CHANGE = DATES[N_BEFORE]
WEEKLY = np.array([0.0, 1.0, 0.5, 0.0, -1.0, -3.0, -2.0])[DATES.day_of_week]
T = np.arange(len(DATES), dtype=float)
POST = T >= N_BEFORE


def its_series(
    rng: np.random.Generator, rho: float, level: float, slope: float, sd: float = 1.0
) -> pd.DataFrame:
    """Trend + weekly pattern + AR(1) noise (stationary start) + level/slope change."""
    z = rng.normal(0.0, sd, len(T))
    e = np.empty(len(T))
    e[0] = z[0] / np.sqrt(1 - rho**2)
    for i in range(1, len(T)):
        e[i] = rho * e[i - 1] + z[i]
    y = 50 + 0.02 * T + WEEKLY + e + level * POST + slope * (T - N_BEFORE) * POST
    return pd.DataFrame({"date": DATES, "value": y})


def its_rates(rho: float, level: float, slope: float, n_sim: int, seed: int) -> tuple[float, float]:
    """(coverage of the true average effect, rejection rate at alpha 0.05)."""
    rng = np.random.default_rng(seed)
    truth = level + slope * float(np.mean(T[POST] - N_BEFORE))
    covered = rejected = 0
    for _ in range(n_sim):
        row = its(its_series(rng, rho, level, slope), change_date=CHANGE).table.iloc[0]
        covered += int(row["ci_low"] <= truth <= row["ci_high"])
        rejected += int(row["p_value"] < 0.05)
    return covered / n_sim, rejected / n_sim


def test_its_gls_ar_coverage_with_ar1_noise() -> None:
    # METHODS.md: GLS AR(1) covered 0.94 on 300 series. Here 1,000 seeded series: plain
    # GLSAR measured 0.932, the default with the bias-corrected rho 0.945 (docs/methods.md).
    coverage, _ = its_rates(rho=0.5, level=-2.0, slope=0.03, n_sim=1000, seed=20240501)
    assert 0.93 <= coverage <= 0.97, coverage


def test_its_false_positive_rate_without_autocorrelation() -> None:
    # Measured 0.051 (1,000 series).
    _, fpr = its_rates(rho=0.0, level=0.0, slope=0.0, n_sim=1000, seed=20240502)
    assert 0.035 <= fpr <= 0.065, fpr


def test_its_false_positive_rate_with_ar1_noise() -> None:
    # Measured 0.064 with the bias-corrected rho, 0.077 with plain GLSAR (1,000 series):
    # still above nominal because rho's sampling error is not propagated (docs/methods.md).
    _, fpr = its_rates(rho=0.5, level=0.0, slope=0.0, n_sim=1000, seed=20240504)
    assert 0.035 <= fpr <= 0.075, fpr


def did_panel(rng: np.random.Generator, n_units: int = 20, n_dates: int = 28) -> pd.DataFrame:
    """Parallel trends, no effect: unit levels, common daily shocks, AR(1) unit noise."""
    dates = pd.date_range("2024-01-01", periods=n_dates, freq="D")
    common = rng.normal(0, 1, n_dates) + 0.05 * np.arange(n_dates)
    noise = np.empty((n_units, n_dates))
    noise[:, 0] = rng.normal(0, 1, n_units) / np.sqrt(1 - 0.3**2)
    for j in range(1, n_dates):
        noise[:, j] = 0.3 * noise[:, j - 1] + rng.normal(0, 1, n_units)
    y = rng.normal(50, 5, (n_units, 1)) + common + noise
    units = np.repeat([f"u{i:02d}" for i in range(n_units)], n_dates)
    return pd.DataFrame({"unit": units, "date": np.tile(dates, n_units), "value": y.ravel()})


def did_false_positive_rates(n_sim: int, seed: int) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    treated = [f"u{i:02d}" for i in range(10)]
    hits = {"did_2x2": 0, "did_twfe": 0, "pre_trend": 0}
    for _ in range(n_sim):
        table = did(did_panel(rng), treated=treated, change_date="2024-01-15").table
        for term, p in zip(table["term"], table["p_value"], strict=True):
            hits[term] += int(p < 0.05)
    return {k: v / n_sim for k, v in hits.items()}


def test_did_false_positive_rate_parallel_trends() -> None:
    # 20 clusters, t reference on 19 df: CR1 is close to nominal here.
    rates = did_false_positive_rates(n_sim=300, seed=20240503)
    for term, rate in rates.items():
        assert 0.02 <= rate <= 0.09, (term, rate)
