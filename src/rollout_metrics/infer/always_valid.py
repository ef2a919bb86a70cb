"""An always-valid confidence sequence for looks nobody planned (normal mixture).

Alpha spending (:mod:`rollout_metrics.infer.sequential`) holds its error rate over looks whose
timing was fixed in advance.  A look the schedule did not plan (a schedule changed after
looks were taken, more looks recorded than planned) breaks that premise; the normal-mixture
confidence sequence does not need it: it covers the true value at every look at once,
however many looks and whenever they are taken.

**The radius.**  Let ``δ`` be the estimate at a look and ``V = s²`` its variance.  As the
after window grows, the information ``1/V`` grows and the score ``δ/V`` is a Brownian motion
in it (the covariance of two looks' estimates is the later look's variance, see
:mod:`rollout_metrics.infer.sequential`).  For each ``λ``, ``exp(λδ/V − λ²/(2V))`` is a
martingale under no effect; mixing it over ``λ ~ N(0, τ²)`` gives

    M = √(V/(V + τ²)) · exp(τ²δ² / (2V(V + τ²))),

and Ville's inequality, ``P(M ≥ 1/α at any look) ≤ α``, gives the two-sided radius

    r(s, τ², α) = √( s²(s² + τ²)/τ² · (ln((s² + τ²)/s²) + 2 ln(1/α)) )

(Robbins 1970; Howard, Ramdas, McAuliffe & Sekhon 2021, "Time-uniform, nonparametric,
nonasymptotic confidence sequences", *Annals of Statistics* 49(2), the normal-mixture
boundary; in the asymptotic form of Waudby-Smith, Arbour, Sinha, Kennedy & Ramdas 2023, "Time-uniform central
limit theory and asymptotic confidence sequences", eq. (9), the interval GrowthBook's
``gbstats`` reports as ``sequential_interval_halfwidth``).  The always-valid p-value is
``min(1, 1/M)``: it is at most ``α`` exactly when ``δ ± r`` excludes 0.

**Choice of τ.**  For a given ``V`` the radius is (to within 0.01%) smallest when
``τ²/V = −2 ln α + ln(1 − 2 ln α)`` (Waudby-Smith et al. 2023; GrowthBook's ``sequential_rho``): 7.94 at
α = 0.05.  The rule here puts that point at the end of the planned after window: ``τ² =
V_end·(−2 ln α + ln(1 − 2 ln α))`` with ``V_end = s²·t`` (``t`` the look's information
fraction, so ``V_end`` is the variance the full window will have).  There the interval is
3.03 standard errors wide on each side, 1.55 times the fixed-horizon 1.96; earlier it is
wider still.  A one-sided limit (a guardrail's margin) uses the two-sided radius at ``α``:
valid, and conservative.

Examples
--------
>>> round(float(cs_radius(1.0, mixture_variance(1.0, 1.0, 0.05), 0.05)), 3)
3.035
>>> round(float(cs_pvalue(3.035, 1.0, mixture_variance(1.0, 1.0, 0.05))), 3)
0.05
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rollout_metrics.errors import DataValidationError

__all__ = ["best_ratio", "cs_pvalue", "cs_radius", "mixture_variance"]


def _check_alpha(alpha: float) -> None:
    if not 0 < alpha < 1:
        raise DataValidationError(f"alpha must be in (0, 1), got {alpha}")


def best_ratio(alpha: float = 0.05) -> float:
    """``τ²/V`` at which the radius at level ``alpha`` is (nearly) smallest:
    ``−2 ln α + ln(1 − 2 ln α)``.

    >>> round(best_ratio(0.05), 3)
    7.936
    """
    _check_alpha(alpha)
    a = -2.0 * math.log(alpha)
    return a + math.log1p(a)


def mixture_variance(se: ArrayLike, information: ArrayLike, alpha: float = 0.05
                     ) -> NDArray[np.float64]:
    """The mixing variance ``τ²`` of the stated rule: the radius is smallest at the end of
    the planned after window, where the variance is ``se²·information``.

    >>> mixture_variance(2.0, 0.5, 0.05).round(3).tolist()
    15.872
    """
    s = np.asarray(se, dtype=float)
    t = np.clip(np.asarray(information, dtype=float), 0.0, 1.0)
    return np.asarray(s * s * t * best_ratio(alpha), dtype=float)


def cs_radius(se: ArrayLike, tau2: ArrayLike, alpha: float = 0.05) -> NDArray[np.float64]:
    """The two-sided radius of the normal-mixture confidence sequence at level ``alpha``
    for an estimate with standard error ``se`` and mixing variance ``tau2``.

    >>> cs_radius([0.5, 1.0], 4.0, 0.05).round(4).tolist()
    [1.531, 3.0824]
    """
    _check_alpha(alpha)
    v = np.square(np.asarray(se, dtype=float))
    tau = np.asarray(tau2, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = v * (v + tau) / tau * (np.log1p(tau / v) + 2.0 * math.log(1.0 / alpha))
    return np.asarray(np.sqrt(r2), dtype=float)


def cs_pvalue(delta: ArrayLike, se: ArrayLike, tau2: ArrayLike) -> NDArray[np.float64]:
    """The always-valid p-value ``min(1, 1/M)`` of the estimate ``delta`` (no effect: 0).

    >>> float(cs_pvalue(0.0, 1.0, 4.0))
    1.0
    """
    d = np.asarray(delta, dtype=float)
    v = np.square(np.asarray(se, dtype=float))
    tau = np.asarray(tau2, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_m = tau * d * d / (2.0 * v * (v + tau)) - 0.5 * np.log1p(tau / v)
    return np.asarray(np.where(np.isnan(log_m), np.nan, np.exp(-np.maximum(log_m, 0.0))),
                      dtype=float)
