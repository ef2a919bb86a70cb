"""Panel regression helpers of the difference-in-differences designs.

Unit and date fixed effects absorbed in closed form (:func:`absorb`: Frisch-Waugh-Lovell with
one dates x dates solve, no dummy design), the CR1 cluster-robust fit (:func:`cluster_fit`,
statsmodels ``cov_type="cluster"`` numbers) and :class:`Projector`, the residual maker of a
coefficient's nuisance terms (fixed effects and a few other columns) used by the bootstrap
and randomisation tests of :mod:`rollout_metrics.designs.did_inference`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.linalg import cho_factor, cho_solve, solve_triangular

from rollout_metrics.designs._common import FloatArray

__all__ = ["FixedEffects", "Projector", "absorb", "cluster_fit", "fixed_effects"]


@dataclass(frozen=True, slots=True)
class FixedEffects:
    """Unit and date fixed effects as codes: every unit has an effect, every date but the
    first of its stack (``date == -1``) has one; the dummy design they stand for has
    ``n_params`` columns (full rank when units link every date to the first)."""

    unit: NDArray[np.intp]
    date: NDArray[np.intp]
    n_units: int
    n_dates: int

    @property
    def n_params(self) -> int:
        return self.n_units + self.n_dates


def _codes(*columns: Any) -> NDArray[np.intp]:
    """Codes 0..k-1 of the distinct combinations of ``columns`` (row-aligned arrays)."""
    combined = np.zeros(len(columns[0]), dtype=np.int64)
    for col in columns:
        codes, uniques = pd.factorize(np.asarray(col), use_na_sentinel=False)
        combined = combined * len(uniques) + codes
    return np.unique(combined, return_inverse=True)[1].astype(np.intp)


def fixed_effects(d: pd.DataFrame, key: str | None = None) -> FixedEffects:
    """Unit and date fixed effects of ``d`` (within ``key`` stacks when given)."""
    stack = np.zeros(len(d), dtype=np.int64) if key is None else d[key].to_numpy()
    dates = d["date"].to_numpy()
    unit = _codes(stack, d["unit"].to_numpy())
    first = dates == pd.Series(dates).groupby(stack).transform("min").to_numpy()
    date = np.full(len(d), -1, dtype=np.intp)
    if (~first).any():
        date[~first] = _codes(stack[~first], dates[~first])
    return FixedEffects(unit, date, int(unit.max()) + 1, int(date.max()) + 1)


def absorb(v: FloatArray, w: FloatArray, fe: FixedEffects) -> FloatArray:
    """Residuals of the columns of ``v`` after weighted least squares on the fixed effects.

    Closed form of the normal equations: the unit effects are eliminated exactly
    (a = (S_u - M b) / W_u, with M the unit x date weight table), which leaves the
    Schur complement (diag(W_t) - M' diag(1/W_u) M) b = S_t - M' S_u / W_u in the date
    effects only: one small symmetric positive definite solve (dates x dates) instead of a
    decomposition of the n x (units + dates) dummy design.
    """
    kept = fe.date >= 0
    wv = w[:, None] * v
    w_u = np.bincount(fe.unit, weights=w, minlength=fe.n_units)
    s_u = np.zeros((fe.n_units, v.shape[1]))
    np.add.at(s_u, fe.unit, wv)
    s_t = np.zeros((fe.n_dates, v.shape[1]))
    np.add.at(s_t, fe.date[kept], wv[kept])
    m = np.zeros((fe.n_units, fe.n_dates))
    np.add.at(m, (fe.unit[kept], fe.date[kept]), w[kept])
    scaled = m / w_u[:, None]
    schur = np.diag(m.sum(axis=0)) - m.T @ scaled
    rhs = s_t - scaled.T @ s_u
    b = _solve_psd(schur, rhs)
    a = (s_u - m @ b) / w_u[:, None]
    fitted = a[fe.unit] + np.where(kept[:, None], b[np.maximum(fe.date, 0)], 0.0)
    return np.asarray(v - fitted, dtype=np.float64)


def _solve_psd(a: FloatArray, rhs: FloatArray) -> FloatArray:
    """``a^-1 rhs`` by Cholesky; the minimum-norm least-squares solution when ``a`` is
    singular (dates no unit links to the rest: their effects are not identified, the
    fitted values and residuals still are)."""
    if a.shape[0] == 0:
        return np.zeros_like(rhs)
    try:
        factor = cho_factor(a)
        pivots = np.abs(np.diag(factor[0]))
        if pivots.min() ** 2 > 1e-10 * np.max(np.diag(a)):
            return np.asarray(cho_solve(factor, rhs), dtype=np.float64)
    except np.linalg.LinAlgError:
        pass
    return np.asarray(np.linalg.lstsq(a, rhs, rcond=None)[0], dtype=np.float64)


def cluster_fit(
    y: FloatArray, x: FloatArray, groups: Any, w: FloatArray, fe: FixedEffects | None = None
) -> tuple[FloatArray, FloatArray, float]:
    """Coefficients of ``x``, their CR1 covariance by ``groups`` and the t df (G - 1).

    Weighted least squares of ``y`` on ``x`` and, with ``fe``, unit and date fixed effects
    (absorbed by :func:`absorb`, Frisch-Waugh-Lovell: the same coefficients, residuals and
    cluster scores of ``x`` as with the dummies in the design), by one QR decomposition of
    the small weighted design. The covariance is statsmodels' ``WLS(...).fit(cov_type=
    "cluster", cov_kwds={"groups": ..., "use_correction": True, "df_correction": True})``
    on the full design: scores ``x_i w_i e_i`` summed per group, bread ``(X'WX)^-1`` and the
    factor G/(G-1) (N-1)/(N-K), K counting the fixed effects. A column collinear with the
    others (or with the fixed effects) is not identified: every value is then NaN.
    """
    _, codes = np.unique(np.asarray(groups, dtype=str), return_inverse=True)
    k = x.shape[1] + (fe.n_params if fe is not None else 0)
    sw = np.sqrt(w)
    scale = np.linalg.norm(x * sw[:, None], axis=0)
    if fe is not None:
        both = absorb(np.column_stack([y, x]), w, fe)
        y, x = both[:, 0], both[:, 1:]
    xw, yw = x * sw[:, None], y * sw
    q, r = np.linalg.qr(xw)
    if np.any(np.abs(np.diag(r)) <= 1e-8 * scale):
        nan = np.full(x.shape[1], np.nan)
        return nan, np.full((x.shape[1], x.shape[1]), np.nan), float(codes.max())
    beta = solve_triangular(r, q.T @ yw)
    resid = yw - xw @ beta
    # (X'WX)^-1 X'W rows: scores projected on the bread, summed per cluster
    bread = solve_triangular(r, solve_triangular(r, np.eye(x.shape[1]), trans="T"))
    proj = (xw @ bread) * resid[:, None]
    n, n_groups = len(y), int(codes.max()) + 1
    sums = np.zeros((n_groups, x.shape[1]))
    np.add.at(sums, codes, proj)
    factor = n_groups / (n_groups - 1.0) * (n - 1.0) / (n - k)
    return beta, factor * (sums.T @ sums), float(n_groups - 1)


@dataclass(frozen=True, slots=True)
class Projector:
    """Weighted least-squares residuals on nuisance terms: the fixed effects ``fe`` (if any),
    then the columns ``z`` (if any, after their own fixed-effects absorption).

    ``n_params`` counts the nuisance parameters (fixed effects and ``z`` columns), as the CR1
    small-sample factor needs them.
    """

    w: FloatArray
    fe: FixedEffects | None = None
    z: FloatArray | None = None

    @property
    def n_params(self) -> int:
        return (self.fe.n_params if self.fe is not None else 0) + (
            self.z.shape[1] if self.z is not None else 0)

    def __call__(self, v: FloatArray) -> FloatArray:
        """Residuals of the columns of ``v`` (n x m) on the nuisance terms."""
        out = absorb(v, self.w, self.fe) if self.fe is not None else np.array(v, dtype=float)
        if self.z is not None:
            z = absorb(self.z, self.w, self.fe) if self.fe is not None else self.z
            sw = np.sqrt(self.w)[:, None]
            coef = np.linalg.lstsq(z * sw, out * sw, rcond=None)[0]
            out = out - z @ coef
        return np.asarray(out, dtype=np.float64)
