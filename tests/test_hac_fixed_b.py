"""The fixed-b critical values of rollout_metrics.designs._hac against a published table.

Kiefer & Vogelsang (2005), "A new asymptotic theory for heteroskedasticity-autocorrelation
robust tests", Econometric Theory 21, 1130-1164, fit the fixed-b critical values of the
HAC t statistic as cubics in the bandwidth share b = M / T. For the Bartlett kernel, the
97.5% point (two-sided 5% test) is

    cv(b) = 1.9600 + 2.9694 b + 0.4160 b^2 - 0.5324 b^3.

Their Bartlett weights are ``1 - j / M`` for ``j < M``; ours are ``1 - j / (lags + 1)``, so
``M = lags + 1``. The location model (intercept only, iid Gaussian errors) is the case the
table is for.

The cubic is a fit over b in (0, 1], not the limit itself: its slope at b = 0 (2.9694) is
above the first-order slope of the limit, ``2 z / 3 + z^3 / 6 = 2.562`` at z = 1.96 (expand
``P(|Z| > c sqrt(Q))`` in the Bartlett HAC ratio Q, of mean ``1 - b + b^2 / 3`` and variance
about ``4 b / 3``), so it runs about 1.2% high at b = 0.1-0.2. Hence two checks:

* our simulated critical value against the exact one of the same finite-sample statistic
  (the t ratio is ``Z / sqrt(Q)`` with Z standard normal independent of the quadratic form
  Q of the residuals, so ``P(|t| > c) = P(Z^2 - c^2 Q > 0)``, a quadratic form in Gaussians
  computed by Imhof's (1961) inversion), within 4 Monte Carlo standard errors;
* both against the published cubic within 1.5% (the cubic's own fit error; its value at
  b = 1, 4.813, is 0.9% above the limit there).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, linalg, optimize

from rollout_metrics.designs._hac import quasipoisson_hac

N = 1000
DRAWS = 100_000
CHUNK = 5_000
Z = 1.959964


def _kv2005_bartlett_975(b: float) -> float:
    """Kiefer & Vogelsang (2005), Bartlett kernel, 97.5% fixed-b critical value."""
    return 1.9600 + 2.9694 * b + 0.4160 * b**2 - 0.5324 * b**3


def _simulated(lags: int) -> tuple[float, float]:
    """Our fixed-b critical value (two-sided 5%) for the location model, from DRAWS series,
    and its Monte Carlo standard error ``sqrt(p (1 - p) / B) / f(q)``."""
    x = np.ones((N, 1))
    y = np.full(N, 10.0)
    t_star = np.concatenate([
        quasipoisson_hac(y, x, np.zeros(N), lags=lags, n_resamples=CHUNK,
                         rng=np.random.default_rng([2005, s])).statistics(np.array([1.0]))
        for s in range(DRAWS // CHUNK)
    ])
    q = float(np.quantile(t_star, 0.95))
    h = 0.05 * q
    density = float(np.mean(np.abs(t_star - q) < h)) / (2 * h)
    return q, math.sqrt(0.05 * 0.95 / len(t_star)) / density


def _exact(lags: int) -> float:
    """Exact two-sided 5% critical value of the same statistic: ``t = Z / sqrt(Q)`` with
    ``Q = u' M W M u / (n - 1)`` (W the Bartlett weights, M the demeaning projection, the
    n / (n - k) factor folded in), solved from Imhof's formula for ``P(Z^2 - c^2 Q > 0)``."""
    d = np.abs(np.subtract.outer(np.arange(N), np.arange(N)))
    w = np.clip(1 - d / (lags + 1), 0, None)
    m = np.eye(N) - 1.0 / N
    lam = linalg.eigvalsh(m @ w @ m)[1:] / (N - 1)  # the first is the zero of M

    def tail(c: float) -> float:
        weights = np.concatenate([[1.0], -c * c * lam])

        def integrand(u: float) -> float:
            theta = 0.5 * np.sum(np.arctan(weights * u))
            inv_rho = np.exp(-0.25 * np.sum(np.log1p((weights * u) ** 2)))
            return float(np.sin(theta) * inv_rho / u)

        value, _ = integrate.quad(integrand, 0, np.inf, limit=500, epsabs=1e-10)
        return 0.5 + value / math.pi

    return float(optimize.brentq(lambda c: tail(c) - 0.05, 1.5, 8.0, xtol=1e-6))


def test_imhof_first_order_slope_and_normal_limit() -> None:
    # The exact computation itself: with one lag (b -> 0) the critical value is near the
    # normal one, and at b = 0.02 it follows the first-order slope 2z/3 + z^3/6.
    slope = 2 * Z / 3 + Z**3 / 6
    assert abs(slope - 2.562) < 1e-3
    b = 0.02
    assert abs(_exact(round(b * N) - 1) - (Z + slope * b)) < 0.01


@pytest.mark.slow  # about 20-40 s: 3 x 100,000 series of 1000 points and three Imhof solves
def test_fixed_b_critical_values_match_kiefer_vogelsang_2005() -> None:
    for b in (0.1, 0.2, 0.5):
        lags = round(b * N) - 1  # M = b n = lags + 1
        sim, mc_se = _simulated(lags)
        exact = _exact(lags)
        published = _kv2005_bartlett_975(b)
        assert abs(sim - exact) < 4 * mc_se, (b, sim, exact, mc_se)
        assert abs(exact - published) < 0.015 * published, (b, exact, published)
        assert abs(sim - published) < 0.015 * published + 4 * mc_se, (b, sim, published)
