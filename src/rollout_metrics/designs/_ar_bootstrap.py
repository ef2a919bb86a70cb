"""Bootstrap-t inference for a regression with AR(1) errors on one short series.

Feasible GLS with AR(1) errors (the fit of :func:`~rollout_metrics.designs._common.gls_ar`
with the bias-corrected rho and the first observation kept) has a t statistic whose null
distribution is wider than Student's t on short series: rho is estimated, and the SE moves
with it. On a mean shift in AR(1) noise (rho = 0.5) the t reference rejected a true null in
0.05-0.07 of series of 112 points and 0.10-0.12 of series of 28; with the AR order chosen by
BIC, 0.08 even at 112 (BIC picks order 0 in about one series in ten, and spurious higher
orders on short series).

:func:`ar1_bootstrap_t` calibrates that statistic instead: AR(1) errors always, and the
reference distribution of |t| is simulated from the fitted model (a parametric bootstrap:
unit-innovation AR(1) series with the fitted rho, each refitted by the same procedure, all
in one batch). The t statistic of a regression coefficient does not depend on the
coefficients or on the innovation variance, so the simulated series are pure noise and one
simulated distribution serves every hypothesised value: the interval ``estimate +- q se``
(``q`` the simulated critical value) is the set of values the test does not reject, and it
excludes 0 exactly when ``p < alpha``. Measured on the same set-up (400-1,500 series each):
0.04-0.06 for a mean shift on 16 to 112 points and rho 0 to 0.8 (0.07 at 28 points and
rho 0.8); a slope on 12 to 56 points 0.05-0.065 for rho up to 0.5.

A series with holes (e.g. the transition window left out) is a sequence of blocks
(``starts``): the AR(1) errors restart, independent, at each block, the first point of each
kept with the Prais-Winsten scaling, and only lag-1 pairs inside a block estimate rho.

An OLS contrast ``a'y`` (e.g. a difference of period means) is tested the same way: its SE
is ``sqrt(sigma2 a' R(rho) a)``, ``R`` the AR(1) covariance at the fitted rho and innovation
variance, and the simulated reference refits rho and sigma2 on each replicate.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import stats
from scipy.signal import lfilter

from rollout_metrics.designs._common import (
    MDE_POWER,
    FloatArray,
    Inference,
    _residual_lag1_ratio,
    is_degenerate,
)
from rollout_metrics.errors import DataValidationError

__all__ = ["SeriesTest", "ar1_bootstrap_t"]

_RHO_GRID = np.linspace(-0.98, 0.98, 393)
_PASSES = 3
_RTOL = 1e-4


@dataclass(frozen=True, slots=True)
class SeriesTest:
    """One bootstrap-t test: its :class:`Inference` at ``alpha``, the fitted rho, and the
    sorted simulated ``|t*|`` (for intervals at other levels, :meth:`interval`)."""

    inference: Inference
    rho: float
    t_star: FloatArray

    def interval(self, level: float) -> tuple[float, float]:
        """The ``1 - level`` interval from the same simulated draws (infinite when the draws
        are too few for that level)."""
        est, se = self.inference.estimate, self.inference.se
        q = _critical(self.t_star, level)
        return est - q * se, est + q * se


def _critical(t_star: FloatArray, level: float) -> float:
    """``ceil(level (B + 1)) - 1``-th largest of the sorted ``t_star`` (inf if none)."""
    b = len(t_star)
    rank = math.ceil(level * (b + 1) - 1e-9) - 1
    return float(t_star[b - rank]) if 1 <= rank <= b else math.inf


def ar1_bootstrap_t(
    y: FloatArray,
    x: FloatArray,
    column: int,
    *,
    alpha: float,
    n_resamples: int,
    rng: np.random.Generator,
    contrast: FloatArray | None = None,
    scale: float = 0.0,
    starts: NDArray[np.bool_] | None = None,
) -> SeriesTest:
    """Estimate, SE, bootstrap-t p-value and interval of one coefficient (or contrast).

    Parameters
    ----------
    y, x
        The series and the design, already multiplied by sqrt(weights) when weighted.
    column
        The coefficient tested (its GLS estimate), unless ``contrast`` is given.
    alpha, n_resamples, rng
        Level; simulated series (at least ``2 / alpha - 1``); random generator.
    contrast
        ``a`` for the OLS contrast ``a @ y`` instead of a GLS coefficient.
    scale
        Magnitude of the data for the rounding-noise rule (:func:`is_degenerate`).
    starts
        True where a block of the series starts (after a hole); the first row always does.

    Returns
    -------
    SeriesTest
        ``p = (1 + #{|t*| >= |t|}) / (B + 1)``; the interval is ``estimate +- q se`` with
        ``q`` the ``ceil(alpha (B + 1)) - 1``-th largest ``|t*|``, so that it excludes 0
        exactly when ``p < alpha``. The MDE uses ``q`` as the critical value.
    """
    if not np.isfinite(_critical(np.zeros(n_resamples), alpha)):
        raise DataValidationError(
            f"n_resamples={n_resamples} is too few for alpha={alpha}: at least "
            f"{math.ceil(2 / alpha) - 1} are needed")
    blocks = _blocks(len(y), starts)
    model = _Ar1(x, blocks)
    est, se, rho = model.statistic(y[None, :], column, contrast)
    nan = math.nan
    empty = np.zeros(0)
    if not math.isfinite(se[0]) or is_degenerate(float(se[0]), max(abs(est[0]), scale)):
        status = "degenerate" if math.isfinite(se[0]) else "ok"
        inf = Inference(float(est[0]), float(se[0]), nan, nan, nan, nan, status)
        return SeriesTest(inf, float(rho[0]), empty)
    noise = _simulate(rng, float(rho[0]), n_resamples, blocks)
    e_star, s_star, _ = model.statistic(noise, column, contrast)
    t_star = np.sort(np.abs(e_star / s_star))
    t_obs = abs(float(est[0] / se[0]))
    p = float((1 + np.sum(t_star >= t_obs)) / (n_resamples + 1))
    q = _critical(t_star, alpha)
    mde = (q + float(stats.t.ppf(MDE_POWER, len(y) - x.shape[1]))) * float(se[0])
    inf = Inference(float(est[0]), float(se[0]), float(est[0] - q * se[0]),
                    float(est[0] + q * se[0]), p, mde)
    return SeriesTest(inf, float(rho[0]), t_star)


def _blocks(n: int, starts: NDArray[np.bool_] | None) -> NDArray[np.bool_]:
    first = np.zeros(n, dtype=bool) if starts is None else np.array(starts, dtype=bool)
    first[0] = True
    return first


def _simulate(rng: np.random.Generator, rho: float, n_series: int, starts: NDArray[np.bool_]
              ) -> FloatArray:
    """Stationary unit-innovation AR(1) noise, restarting independently at each block."""
    n = len(starts)
    z = rng.standard_normal((n_series, n))
    out = np.empty_like(z)
    bounds = [*np.flatnonzero(starts).tolist(), n]
    for a, b in itertools.pairwise(bounds):
        start = rng.standard_normal((n_series, 1)) * rho / math.sqrt(1 - rho**2)
        out[:, a:b] = lfilter([1.0], [1.0, -rho], z[:, a:b], axis=1, zi=start)[0]
    return out


class _Ar1:
    """Feasible GLS with AR(1) errors, as ``gls_ar(y, x, 1, bias_correct=True,
    keep_first=True)`` (three passes, the same stop rule; tested equal), for many series at
    once: one row of ``y`` per series. The bias correction is interpolated on a grid of 393
    values of rho (within about 1e-6 of the root-finding of the single fit)."""

    def __init__(self, x: FloatArray, starts: NDArray[np.bool_]) -> None:
        self.x = x
        self.starts = starts
        self.expected = _expected_ratio(x.tobytes(), x.shape, starts.tobytes())
        self.pair = ~starts[1:]

    def statistic(self, y: FloatArray, column: int, contrast: FloatArray | None
                  ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Estimate, SE and rho per row: the GLS coefficient ``column``, or ``contrast @ y``
        with its SE under the fitted AR(1) covariance."""
        beta, xtx, sigma2, rho = self.fit(y)
        if contrast is not None:
            return y @ contrast, np.sqrt(sigma2 * self.quad(contrast, rho)), rho
        var = sigma2 * np.linalg.inv(xtx)[:, column, column]
        return beta[:, column], np.sqrt(var), rho

    def fit(self, y: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        x = self.x
        design = np.broadcast_to(x, (y.shape[0], *x.shape))
        rho = np.zeros(y.shape[0])
        active = np.ones(y.shape[0], dtype=bool)
        last = np.zeros((y.shape[0], x.shape[1]))
        for i in range(_PASSES - 1):
            beta, _ = _ols(self.whiten(y, rho), self.whiten(design, rho))
            if i > 0:
                with np.errstate(divide="ignore", invalid="ignore"):
                    change = np.max(np.abs(last - beta) / np.abs(last), axis=1)
                active &= ~(change < _RTOL)
            last = beta
            new = np.interp(self.yule_walker(y - beta @ x.T), self.expected, _RHO_GRID)
            rho = np.where(active, new, rho)
        yw, xw = self.whiten(y, rho), self.whiten(design, rho)
        beta, xtx = _ols(yw, xw)
        resid = yw - np.einsum("bnk,bk->bn", xw, beta)
        sigma2 = np.einsum("bn,bn->b", resid, resid) / (x.shape[0] - x.shape[1])
        return beta, xtx, sigma2, rho

    def yule_walker(self, resid: FloatArray) -> FloatArray:
        """Lag-1 Yule-Walker estimate per row (statsmodels ``yule_walker(order=1)``: demeaned,
        lag-1 products over the pairs inside blocks, scaled by their count)."""
        e = resid - resid.mean(axis=1, keepdims=True)
        n = e.shape[1]
        r0 = np.einsum("bn,bn->b", e, e) / n
        r1 = np.einsum("bn,bn->b", e[:, :-1] * self.pair, e[:, 1:]) / self.pair.sum()
        # an exactly constant series (no residual at all) has no autocorrelation to estimate
        return np.asarray(np.divide(r1, r0, out=np.zeros_like(r1), where=r0 > 0),
                          dtype=np.float64)

    def whiten(self, a: Any, rho: FloatArray) -> FloatArray:
        """Prais-Winsten transform per row (``a``: rows x n, or rows x n x k), restarted at
        each block."""
        r = rho.reshape((-1,) + (1,) * (a.ndim - 1))
        keep = self.pair.reshape((1, -1) + (1,) * (a.ndim - 2))
        out = np.array(a, dtype=np.float64)
        out[:, 1:] -= r * a[:, :-1] * keep
        first = self.starts.reshape((1, -1) + (1,) * (a.ndim - 2))
        return np.where(first, a * np.sqrt(np.maximum(1e-12, 1 - r**2)), out)

    def quad(self, a: FloatArray, rho: FloatArray) -> FloatArray:
        """``a' R(rho) a`` per rho, ``R`` the block AR(1) covariance, unit innovations."""
        n = len(a)
        bounds = [*np.flatnonzero(self.starts).tolist(), n]
        total = np.zeros(len(rho))
        for lo, hi in itertools.pairwise(bounds):
            part = a[lo:hi]
            m = len(part)
            lagged = np.array([part[: m - k] @ part[k:] for k in range(m)])
            total += 2 * (rho[:, None] ** np.arange(m)[None, :]) @ lagged - lagged[0]
        return np.asarray(total / (1 - rho**2), dtype=np.float64)


@functools.lru_cache(maxsize=32)
def _expected_ratio(x: bytes, shape: tuple[int, ...], starts: bytes) -> FloatArray:
    """The expected lag-1 residual autocorrelation on :data:`_RHO_GRID` for one design
    (cached: simulations and the rows of one call reuse a design)."""
    design = np.frombuffer(x, dtype=np.float64).reshape(shape)
    ratio = _residual_lag1_ratio(design, np.frombuffer(starts, dtype=bool).copy())
    return np.array([ratio(r) for r in _RHO_GRID])


def _ols(y: FloatArray, x: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Coefficients and X'X of one least-squares fit per row (normal equations)."""
    xtx = np.einsum("bnk,bnl->bkl", x, x)
    xty = np.einsum("bnk,bn->bk", x, y)
    return np.linalg.solve(xtx, xty[..., None])[..., 0], xtx
