"""Helpers shared by the quasi-experimental designs (:mod:`its`, :mod:`did`).

Input validation at the edge (columns, missing values, timestamps, options), the tidy
result columns and their one family per call (:func:`finish_table`), t/normal inference
with the minimum detectable effect, and the
model fits behind :func:`rollout_metrics.designs.its.its` on plain numpy arrays:

* :func:`gls_ar` - feasible GLS with AR(p) errors, the same iteration as
  statsmodels ``GLSAR(y, X, rho=p).iterative_fit()`` (rho from Yule-Walker on the
  residuals; three passes by default), written in numpy so a coverage simulation of
  thousands of fits runs in seconds. Tested against GLSAR. GLSAR whitens by
  Cochrane-Orcutt and drops the first p observations; ``keep_first=True`` (used by the
  designs) keeps them with the exact transform of their stationary covariance
  (Prais-Winsten for AR(1)), tested against statsmodels ``GLS`` with the full AR covariance.
  ``bias_correct=True`` (used by :func:`rollout_metrics.designs.its.its`) replaces the AR(1)
  Yule-Walker estimate by its bias-corrected value (Kendall 1954; Marriott & Pope 1954),
  in the moment form that accounts for the regressors.
* :func:`ols_hac` - OLS (or WLS) with Newey-West HAC covariance, Bartlett
  kernel, small-sample correction n/(n-k) and a t reference, as Stata's
  ``newey``; reproduces case ``hac_newey_west_stata``.
* :func:`poisson_ar` - Poisson / quasi-Poisson GLM with a log link and offset,
  fitted by IRLS in which each weighted least-squares step is whitened with
  AR(p) errors estimated from the Pearson residuals (a GEE-type working AR
  correlation on one series; first rows kept). With ``order=0`` it is the ordinary GLM.
* :func:`infer` - Wald intervals and p-values; an SE that is rounding noise
  (:func:`is_degenerate`, R ``t.test``'s rule) gives status ``degenerate`` and none.
* :func:`select_ar_order` - AR order by BIC on a residual series.
"""

from __future__ import annotations

import html
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats
from scipy.linalg import solve_triangular, toeplitz
from scipy.optimize import brentq
from scipy.signal import lfilter
from statsmodels.regression.linear_model import OLS, WLS, yule_walker
from statsmodels.tsa.arima_process import arma_acovf

from rollout_metrics.comparison import COLUMNS
from rollout_metrics.errors import DataValidationError, MissingColumnError, PeriodError
from rollout_metrics.infer.multiple import ADJUST_METHODS, finish_family

__all__ = [
    "DESIGN_COLUMNS",
    "Inference",
    "RegressionFit",
    "check_options",
    "coerce_dates",
    "effect_row",
    "finish_table",
    "gls_ar",
    "html_table",
    "infer",
    "is_degenerate",
    "ols_hac",
    "poisson_ar",
    "require_columns",
    "require_finite",
    "select_ar_order",
    "to_timestamp",
]

#: Columns of every design's tidy table, in order: those of ``compare()`` with ``term``
#: after ``comparison``.
DESIGN_COLUMNS: list[str] = [*COLUMNS[:4], "term", *COLUMNS[4:]]

FloatArray = NDArray[np.float64]

#: Power used for the minimum detectable effect column (METHODS.md: alpha, power 0.8).
MDE_POWER = 0.8


def check_options(alpha: float, correction: str) -> None:
    """Raise :class:`DataValidationError` for a level outside (0, 1) or an unknown correction."""
    if not 0 < alpha < 1:
        raise DataValidationError(f"alpha must be in (0, 1), got {alpha}")
    if correction not in ADJUST_METHODS:
        raise DataValidationError(
            f"unknown p-value adjustment {correction!r}; choose one of "
            f"{', '.join(ADJUST_METHODS)}"
        )


def require_columns(frame: pd.DataFrame, columns: Sequence[str | None]) -> None:
    """Raise :class:`MissingColumnError` naming the first absent column."""
    if not isinstance(frame, pd.DataFrame):
        raise DataValidationError(
            f"expected a pandas DataFrame, got {type(frame).__name__}; "
            "convert other engines with .to_pandas() first"
        )
    available = [str(c) for c in frame.columns]
    for col in columns:
        if col is not None and col not in frame.columns:
            raise MissingColumnError(
                f"column {col!r} not found; available columns: {available}. "
                "Hint: pass the column name with the matching keyword (date=, value=, ...)."
            )


def require_finite(frame: pd.DataFrame, columns: Sequence[str | None]) -> None:
    """Raise :class:`DataValidationError` if a numeric column has NaN/inf or is not numeric."""
    for col in columns:
        if col is None:
            continue
        values = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        bad = ~np.isfinite(values)
        if bad.any():
            raw = frame[col].to_numpy()[bad][:5]
            raise DataValidationError(
                f"column {col!r} has {int(bad.sum())} missing or non-numeric value(s) out of "
                f"{len(values)} rows (first: {list(raw)}); fill or drop them before fitting"
            )


def coerce_dates(values: pd.Series, name: str) -> pd.Series:
    """Column ``name`` as datetime64; unparseable or missing dates raise."""
    parsed = pd.to_datetime(values, errors="coerce")
    bad = parsed.isna().to_numpy()
    if bad.any():
        raw = values.to_numpy()[bad][:5]
        raise DataValidationError(
            f"column {name!r} has {int(bad.sum())} missing or unparseable date(s) "
            f"(first: {list(raw)})"
        )
    return parsed


def to_timestamp(value: Any, tz: Any, name: str) -> pd.Timestamp:
    """``value`` as a Timestamp in the timezone of the date column.

    Naive and aware timestamps are never mixed silently (METHODS.md): a naive
    ``change_date`` against an aware date column (or the reverse) raises.
    """
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise PeriodError(f"{name}={value!r} is not a date") from exc
    if pd.isna(ts):
        raise PeriodError(f"{name} is missing")
    if (ts.tzinfo is None) != (tz is None):
        raise PeriodError(
            f"{name}={ts} and the date column disagree on time zones "
            f"(date column tz={tz}); pass both naive or both timezone-aware"
        )
    if tz is not None:
        ts = ts.tz_convert(tz)
    return ts


@dataclass(frozen=True, slots=True)
class Inference:
    """Interval, p-value and minimum detectable effect of one estimate.

    ``status`` is ``"ok"``, or ``"degenerate"`` when the standard error is rounding noise
    (:func:`is_degenerate`): the estimate stands, with no interval, p-value or MDE.
    """

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    mde: float
    status: str = "ok"


#: R's ``t.test`` rule: a standard error below this many machine epsilons of the data's
#: magnitude is rounding noise ("data are essentially constant").
DEGENERATE_EPS = 10.0


def is_degenerate(se: float, scale: float) -> bool:
    """True when ``se`` is zero or rounding noise: ``se < 10 eps max(scale)``.

    ``scale`` is the magnitude of the data behind the estimate (e.g. the largest absolute
    value of the series); R's ``t.test`` stops with "data are essentially constant" on the
    same rule (``stderr < 10 * .Machine$double.eps * max(abs(mx), abs(my))``).

    Examples
    --------
    >>> is_degenerate(1e-15, 50.0), is_degenerate(1e-6, 50.0)
    (True, False)
    """
    return bool(se < DEGENERATE_EPS * np.finfo(float).eps * abs(scale)) or se == 0.0


def infer(estimate: float, se: float, df: float, alpha: float, *, scale: float = 0.0
          ) -> Inference:
    """Wald inference with a t reference on ``df`` degrees of freedom (``inf`` = normal).

    The p-value and the CI come from the same statistic, so they never disagree.
    ``mde`` is the smallest true effect detected with power 0.8 at level ``alpha``.
    An SE that is rounding noise relative to ``scale`` and ``estimate``
    (:func:`is_degenerate`) gives status ``"degenerate"`` and no interval or p-value.
    """
    nan = float("nan")
    if not np.isfinite(se):
        return Inference(estimate, se, nan, nan, nan, nan)
    if is_degenerate(se, max(abs(estimate), abs(scale)) if np.isfinite(estimate) else scale):
        return Inference(estimate, se, nan, nan, nan, nan, "degenerate")
    dist: Any = stats.norm if math.isinf(df) else stats.t(df)
    q = float(dist.ppf(1 - alpha / 2))
    p = float(2 * dist.sf(abs(estimate) / se))
    mde = float((q + dist.ppf(MDE_POWER)) * se)
    return Inference(estimate, se, estimate - q * se, estimate + q * se, p, mde)


def html_table(title: str, table: pd.DataFrame) -> str:
    """HTML for notebooks: a caption and the table rounded for display only."""
    shown = table.copy()
    for col in shown.columns:
        if pd.api.types.is_float_dtype(shown[col]):
            shown[col] = shown[col].map(lambda v: f"{v:.4g}")
    return f"<p><b>{html.escape(title)}</b></p>" + shown.to_html(index=False, escape=True)


@dataclass(frozen=True, slots=True)
class RegressionFit:
    """Coefficients, their covariance and the reference degrees of freedom.

    ``df_resid`` is ``inf`` when inference is on the normal distribution.
    ``rho`` holds the AR coefficients (empty without AR errors) and ``scale``
    the residual variance (or the dispersion phi for GLMs).
    """

    params: FloatArray
    cov: FloatArray
    df_resid: float
    scale: float
    rho: FloatArray = field(default_factory=lambda: np.zeros(0))

    @property
    def bse(self) -> FloatArray:
        """Standard errors of ``params``."""
        return np.sqrt(np.diag(self.cov))


def _whiten(x: FloatArray, rho: FloatArray) -> FloatArray:
    # Same transform as GLSAR.whiten: e_t = u_t - sum_i rho_i u_{t-i}, first p rows dropped.
    out = x.copy()
    for i, r in enumerate(rho):
        out[i + 1 :] -= r * x[: -(i + 1)]
    return out[len(rho) :]


def _ols(y: FloatArray, x: FloatArray) -> tuple[FloatArray, FloatArray, float, int]:
    """Coefficients, (X'X)^-1, residual sum of squares and df of an OLS fit."""
    q, r = np.linalg.qr(x)
    beta = np.linalg.solve(r, q.T @ y)
    rinv = np.linalg.inv(r)
    resid = y - x @ beta
    return beta, rinv @ rinv.T, float(resid @ resid), x.shape[0] - x.shape[1]


def gls_ar(
    y: FloatArray,
    x: FloatArray,
    order: int,
    *,
    maxiter: int = 3,
    rtol: float = 1e-4,
    bias_correct: bool | str = False,
    keep_first: bool = False,
) -> RegressionFit:
    """Feasible GLS with AR(``order``) errors (``order=0``: OLS with t reference).

    Equivalent to ``statsmodels GLSAR(y, x, rho=order).iterative_fit(maxiter, rtol)``:
    pass 1 is OLS, each later pass re-estimates rho by Yule-Walker on the
    residuals ``y - x @ beta`` and refits on the whitened data.
    Precision weights are applied by the caller (scale rows by sqrt(w) first).
    ``keep_first=True`` whitens with :func:`_prais` in every pass (the first ``order``
    rows kept, exact GLS given rho) instead of dropping them; ``df_resid`` is then n - k.
    """
    rho = np.zeros(order)
    if order == 0:
        beta, xtx_inv, ssr, df = _ols(y, x)
        return RegressionFit(beta, ssr / df * xtx_inv, float(df), ssr / df, rho)
    whiten = _prais if keep_first else _whiten
    converged = False
    last = np.zeros(x.shape[1])
    for i in range(maxiter - 1):
        beta, *_ = _ols(whiten(y, rho), whiten(x, rho))
        if i > 0:
            with np.errstate(divide="ignore", invalid="ignore"):
                diff = np.max(np.abs(last - beta) / np.abs(last))
            if diff < rtol:
                converged = True
                break
        last = beta
        resid = y - x @ beta
        rho, _ = yule_walker(resid, order=order, df=None, result_object=False)
        rho = np.atleast_1d(np.asarray(rho, dtype=float))
        if keep_first and not _stationary(rho):
            # The n - k autocovariances of method "adjusted" can give a non-stationary
            # AR(p), which has no stationary covariance for the kept first rows; the
            # biased ("mle") autocovariances always give a stationary one.
            rho, _ = yule_walker(resid, order=order, method="mle", result_object=False)
            rho = np.atleast_1d(np.asarray(rho, dtype=float))
        if bias_correct == "kendall":
            rho = _debias(rho, len(y))
        elif bias_correct:
            rho = _debias_exact(rho, x)
    del converged  # the final fit uses the last rho either way, as GLSAR does
    beta, xtx_inv, ssr, df = _ols(whiten(y, rho), whiten(x, rho))
    return RegressionFit(beta, ssr / df * xtx_inv, float(df), ssr / df, rho)


def _debias(rho: FloatArray, n: int) -> FloatArray:
    """Kendall (1954) / Marriott-Pope (1954) first-order bias correction of an AR(1) estimate.

    With the mean estimated, E[rho_hat] = rho - (1 + 3 rho)/n + O(n^-2), so
    rho_hat + (1 + 3 rho_hat)/n removes the leading term; capped at 0.99. Higher orders
    are returned unchanged (BIC rarely picks them on daily KPIs; no closed form used here).
    """
    if len(rho) != 1:
        return rho
    return np.minimum(rho + (1 + 3 * rho) / n, 0.99)


def _residual_lag1_ratio(x: FloatArray, starts: NDArray[np.bool_] | None = None) -> Any:
    """rho -> E[sum e_t e_(t+1)] / E[sum e_t^2] for OLS residuals e = M u, u ~ AR(1)(rho).

    With M = I - Q Q' and S the AR(1) correlation matrix, E[e'e] is proportional to
    tr(M S M) = n - tr(Q'SQ) and the lag-1 term to the first off-diagonal sum of
    M S M = S - QQ'S - SQQ' + Q(Q'SQ)Q'; both need only S Q (n x k). ``starts`` (True where
    a block of the series starts, e.g. after a hole) makes u independent AR(1) blocks and
    counts only the lag-1 pairs inside a block.
    """
    n = x.shape[0]
    q, _ = np.linalg.qr(x)
    first = np.zeros(n, dtype=bool) if starts is None else np.asarray(starts, dtype=bool)
    first[0] = True
    bounds = [*np.flatnonzero(first).tolist(), n]
    pair = ~first[1:]

    def ratio(rho: float) -> float:
        # S q by two AR(1) recursions per block (forward and backward sums of rho^|i-j| q_j).
        parts = []
        for a, b in itertools.pairwise(bounds):
            block = q[a:b]
            fwd = lfilter([1.0], [1.0, -rho], block, axis=0)
            bwd = lfilter([1.0], [1.0, -rho], block[::-1], axis=0)[::-1]
            parts.append(fwd + bwd - block)
        sq = np.concatenate(parts)
        c = q.T @ sq
        off = float(pair.sum()) * rho
        off -= float(np.einsum("ij,ij->", q[:-1][pair], sq[1:][pair]))
        off -= float(np.einsum("ij,ij->", sq[:-1][pair], q[1:][pair]))
        off += float(np.einsum("ij,jk,ik->", q[:-1][pair], c, q[1:][pair]))
        return float(off / (n - float(np.trace(c))))

    return ratio


def _debias_exact(rho: FloatArray, x: FloatArray) -> FloatArray:
    """AR(1) coefficient whose expected residual lag-1 autocorrelation equals the observed one.

    A moment (ratio of expectations) form of the Kendall / Marriott-Pope bias correction
    that accounts for the regressors the residuals come from (trend, day of week,
    intervention terms): E[e' L e] / E[e' e] with e = M u is tr(L M S M) / tr(M S M), S the
    AR(1) correlation. At rho = 0 with a mean only it is Kendall's -1/n exactly; it leaves
    out the O(rho/n) part due to the ratio's non-linearity. On the coverage set-up (rho 0.5,
    10 regressors, n 180) the mean estimate moved from 0.467 (plain) to 0.497.
    """
    if len(rho) != 1:
        return rho
    ratio = _residual_lag1_ratio(x)
    target = float(rho[0])
    lo, hi = -0.98, 0.98
    if target <= ratio(lo):
        return np.array([lo])
    if target >= ratio(hi):
        return np.array([hi])
    return np.array([brentq(lambda r: ratio(r) - target, lo, hi, xtol=1e-4)])


def _stationary(rho: FloatArray) -> bool:
    """True when the AR polynomial 1 - rho_1 z - ... - rho_p z^p has all roots outside the
    unit circle (an AR(p) with these coefficients is stationary)."""
    if len(rho) == 0:
        return True
    roots = np.roots(np.r_[1.0, -rho][::-1])
    return bool(np.all(np.abs(roots) > 1 + 1e-8))


def _prais(x: FloatArray, rho: FloatArray) -> FloatArray:
    """Exact GLS transform of AR(p) errors: the first p rows are kept, not dropped.

    Rows p+1.. are whitened as in :func:`_whiten`; the first p are multiplied by the inverse
    Cholesky factor of their stationary covariance (unit innovations), so every row has
    innovation-scale variance. For AR(1) that is Prais-Winsten: the first row scaled by
    sqrt(1 - rho^2). As rho tends to 0 the fit tends to OLS on all rows, with no jump when
    order selection moves from 0 to 1.
    """
    p = len(rho)
    if p == 0:
        return x
    if p == 1:
        first = x[:1] * np.sqrt(max(1e-12, 1 - float(rho[0]) ** 2))
    elif not _stationary(rho):
        return _whiten(x, rho)  # no stationary covariance: the first p rows are dropped
    else:
        acov = arma_acovf(np.r_[1.0, -rho], np.array([1.0]), nobs=p)
        chol = np.linalg.cholesky(toeplitz(acov))
        first = solve_triangular(chol, x[:p], lower=True)
    return np.concatenate([first, _whiten(x, rho)])


def ols_hac(
    y: FloatArray,
    x: FloatArray,
    maxlags: int,
    *,
    weights: FloatArray | None = None,
) -> RegressionFit:
    """OLS (WLS with ``weights``) with Newey-West HAC covariance, Stata ``newey`` style.

    Bartlett kernel with ``maxlags`` lags, small-sample factor n/(n-k), and a t
    reference on n-k degrees of freedom (statsmodels ``cov_type="HAC"`` with
    ``use_correction=True, use_t=True``).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = np.column_stack([np.ones(50), np.arange(50.0)])
    >>> fit = ols_hac(1 + 0.5 * x[:, 1] + rng.normal(size=50), x, maxlags=3)
    >>> bool(abs(fit.params[1] - 0.5) < 0.05)
    True
    """
    model = OLS(y, x) if weights is None else WLS(y, x, weights=weights)
    res = model.fit(
        cov_type="HAC", cov_kwds={"maxlags": int(maxlags), "use_correction": True}, use_t=True
    )
    cov = np.asarray(res.cov_params(), dtype=float)
    return RegressionFit(
        np.asarray(res.params, dtype=float), cov, float(res.df_resid), float(res.scale)
    )


def select_ar_order(resid: FloatArray, max_order: int = 7) -> int:
    """AR order in ``0..max_order`` with the smallest BIC on a common sample.

    Each AR(p) is fitted by least squares on the same ``n - max_order`` targets, so
    the BICs are comparable: ``m log(SSR/m) + p log m``.
    """
    r = resid - resid.mean()
    n = len(r)
    max_order = max(0, min(max_order, n // 4))
    m = n - max_order
    target = r[max_order:]
    best, best_bic = 0, m * np.log(float(target @ target) / m)
    for p in range(1, max_order + 1):
        lags = np.column_stack([r[max_order - i : n - i] for i in range(1, p + 1)])
        coef, *_ = np.linalg.lstsq(lags, target, rcond=None)
        e = target - lags @ coef
        bic = m * np.log(float(e @ e) / m) + p * np.log(m)
        if bic < best_bic:
            best, best_bic = p, bic
    return best


def _irls(
    y: FloatArray, x: FloatArray, offset: FloatArray, rho: FloatArray, start: FloatArray | None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Poisson IRLS with AR-whitened WLS steps (first rows kept, :func:`_prais`); returns
    beta, mu and the whitened design."""
    beta = (
        start if start is not None else np.linalg.lstsq(x, np.log(y + 0.5) - offset, rcond=None)[0]
    )
    for _ in range(100):
        eta = x @ beta + offset
        mu = np.exp(eta)
        sw = np.sqrt(mu)
        z = eta - offset + (y - mu) / mu
        new, *_ = _ols(_prais(sw * z, rho), _prais(sw[:, None] * x, rho))
        done = np.max(np.abs(new - beta)) < 1e-10 * (1 + np.max(np.abs(beta)))
        beta = new
        if done:
            break
    mu = np.exp(x @ beta + offset)
    beta = np.asarray(beta, dtype=np.float64)
    return beta, mu, _prais(np.sqrt(mu)[:, None] * x, rho)


def poisson_ar(
    y: FloatArray,
    x: FloatArray,
    offset: FloatArray,
    order: int,
    *,
    quasi: bool = True,
    passes: int = 3,
) -> RegressionFit:
    """Poisson / quasi-Poisson regression with log link, offset and AR(``order``) errors.

    The AR coefficients are estimated by Yule-Walker on the Pearson residuals
    ``(y - mu)/sqrt(mu)`` and each IRLS step is whitened with them, keeping the first rows
    (:func:`_prais`); rho and beta are updated in ``passes`` rounds, as in :func:`gls_ar`. The
    covariance is ``phi (X~'X~)^-1`` with ``X~`` the whitened weighted design. ``quasi=False``:
    phi = 1 and a normal reference (the plain Poisson GLM; use with ``order=0``).
    ``quasi=True``: phi = whitened Pearson chi2 / df (the innovation variance of the Pearson
    residuals) with a t reference on that df, floored so that the dispersion of the Pearson
    residuals themselves, phi times the variance of an AR(p) series with unit innovations, is
    at least 1 (METHODS.md: scale by sqrt(max(1, phi))): counts are never treated as less
    variable than Poisson. Without AR errors that is ``max(1, phi)``; with AR(1) it is
    ``max(1 - rho^2, phi)``.
    """
    rho = np.zeros(order)
    beta, mu, xw = _irls(y, x, offset, rho, None)
    for _ in range(passes - 1 if order > 0 else 0):
        pearson = (y - mu) / np.sqrt(mu)
        rho = np.atleast_1d(
            np.asarray(
                yule_walker(pearson, order=order, df=None, result_object=False)[0], dtype=float
            )
        )
        beta, mu, xw = _irls(y, x, offset, rho, beta)
    rinv = np.linalg.inv(np.linalg.qr(xw)[1])
    xtx_inv = rinv @ rinv.T
    df = float(xw.shape[0] - xw.shape[1])
    if not quasi:
        return RegressionFit(beta, xtx_inv, float("inf"), 1.0, rho)
    e = _prais((y - mu) / np.sqrt(mu), rho)
    phi = max(float(e @ e) / df, 1.0 / _ar_variance(rho))
    return RegressionFit(beta, phi * xtx_inv, df, phi, rho)


def _ar_variance(rho: FloatArray) -> float:
    """Variance of a stationary AR(p) series with unit innovation variance (1 for p = 0)."""
    if len(rho) == 0:
        return 1.0
    return float(arma_acovf(np.r_[1.0, -rho], np.array([1.0]), nobs=1)[0])


_ROW_KEYS: tuple[str, ...] = ("comparison", "term", "n_before", "n_after", "before", "after")
_ROW_KEYS += ("delta", "delta_rel", "ci_low", "ci_high", "p_value", "mde")


def effect_row(
    term: str, comparison: str, n: tuple[float, float], means: tuple[float, float], inf: Inference,
    rel: float, **extra: Any,
) -> dict[str, Any]:  # fmt: skip
    """One table row; ``extra`` adds columns such as ``method`` and ``status``. A degenerate
    estimate (:class:`Inference` status) gets status ``degenerate`` whatever ``extra`` says."""
    values = (comparison, term, *n, *means, inf.estimate, rel, inf.ci_low, inf.ci_high)
    row = dict(zip(_ROW_KEYS, (*values, inf.p_value, inf.mde), strict=True)) | extra
    if inf.status != "ok":
        row["status"] = inf.status
    return row


def finish_table(
    rows: list[dict[str, Any]], *, alpha: float, correction: str, **labels: Any
) -> pd.DataFrame:
    """Rows as the tidy table of one call, in :data:`DESIGN_COLUMNS`.

    ``labels`` (``metric``, ``by``, ``segment``, ``units``, ``method``, ``status``...) fill
    the columns a row does not set itself; ``p_adjusted`` and ``significant`` come from
    :func:`~rollout_metrics.infer.multiple.finish_family` over all rows (one family).
    """
    table = pd.DataFrame([labels | row for row in rows])
    return finish_family(table, alpha=alpha, correction=correction)[DESIGN_COLUMNS]
