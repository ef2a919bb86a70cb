"""Minimum detectable effects: the smallest change each comparison could have detected.

Every MDE is in the raw units of the matching test in :mod:`rollout_metrics.infer.two_sample` /
:mod:`rollout_metrics.infer.rates` (NPS and proportions as fractions, rates per unit of exposure),
for a two-sided test at level ``alpha`` with power ``power`` (default 0.8), and is returned as
a positive magnitude.  The generic rule is (z_{1−α/2} + z_power)·SE; the proportion and rate
MDEs invert the exact power formulas :func:`power_proportions_2indep` and
:func:`power_poisson_diff` (the tests check that the power at the MDE is ``power``).
``math.inf`` means no effect inside the parameter space reaches the power.

Examples
--------
>>> round(mde_from_se(0.01), 5)
0.02802
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

from scipy import optimize, special

from rollout_metrics.errors import DataValidationError, InsufficientDataError
from rollout_metrics.infer.two_sample import check_alpha
from rollout_metrics.stats.sufficient import NpsCounts

__all__ = [
    "mde_from_se",
    "mde_mean",
    "mde_nps",
    "mde_proportion",
    "mde_rate",
    "power_poisson_diff",
    "power_proportions_2indep",
]

Alternative = Literal["two-sided", "larger", "smaller"]


def _check_power(power: float) -> float:
    if isinstance(power, bool) or not 0.0 < float(power) < 1.0:
        raise DataValidationError(f"power must be strictly between 0 and 1, got {power!r}")
    return float(power)


def _check_positive(value: float, what: str) -> float:
    if isinstance(value, bool) or not (math.isfinite(float(value)) and float(value) > 0.0):
        raise InsufficientDataError(f"{what} must be positive and finite, got {value!r}")
    return float(value)


def _check_fraction(value: float, what: str) -> float:
    if isinstance(value, bool) or not 0.0 <= float(value) <= 1.0:
        raise DataValidationError(f"{what} must be in [0, 1], got {value!r}")
    return float(value)


def mde_from_se(se: float, *, alpha: float = 0.05, power: float = 0.8) -> float:
    """(z_{1−α/2} + z_power)·se: the MDE of a z test whose SE does not depend on the effect.

    Examples
    --------
    >>> round(mde_from_se(1.0), 4)
    2.8016
    """
    alpha, power = check_alpha(alpha), _check_power(power)
    if isinstance(se, bool) or not (math.isfinite(float(se)) and float(se) >= 0.0):
        raise DataValidationError(f"se must be finite and non-negative, got {se!r}")
    return (float(special.ndtri(1.0 - alpha / 2.0)) + float(special.ndtri(power))) * float(se)


def mde_nps(before: NpsCounts, n_after: float, *, alpha: float = 0.05, power: float = 0.8) -> float:
    """MDE of NPS (fraction) for a Wald test, assuming the after period has the before variance.

    SE = sqrt(V·(1/nᵦ + 1/nₐ)) with the multinomial V = (p₊ + p₋) − (p₊ − p₋)² (Rocks 2016).

    Examples
    --------
    >>> from rollout_metrics.stats.sufficient import NpsCounts
    >>> round(mde_nps(NpsCounts(400, 300, 300), 1000), 4)
    0.1041
    """
    n_b = _check_positive(before.n, "before n")
    n_a = _check_positive(n_after, "n_after")
    pp, pd = before.promoters / n_b, before.detractors / n_b
    var = max(0.0, pp + pd - (pp - pd) ** 2)
    return mde_from_se(math.sqrt(var * (1.0 / n_b + 1.0 / n_a)), alpha=alpha, power=power)


def mde_mean(
    sd: float, n_before: float, n_after: float, *, alpha: float = 0.05, power: float = 0.8
) -> float:
    """MDE of a difference of means (normal approximation to Welch's t).

    Examples
    --------
    >>> round(mde_mean(10.0, 100, 100), 4)
    3.9621
    """
    if isinstance(sd, bool) or not (math.isfinite(float(sd)) and float(sd) >= 0.0):
        raise DataValidationError(f"sd must be finite and non-negative, got {sd!r}")
    n_b = _check_positive(n_before, "n_before")
    n_a = _check_positive(n_after, "n_after")
    return mde_from_se(float(sd) * math.sqrt(1.0 / n_b + 1.0 / n_a), alpha=alpha, power=power)


def _normal_power(
    diff: float, std_null: float, std_alt: float, alpha: float, alternative: Alternative
) -> float:
    """Power of a z test with different SEs under H0 and H1 (statsmodels normal_power_het)."""
    if alternative == "two-sided":
        crit = float(special.ndtri(1.0 - alpha / 2.0))
        return float(
            special.ndtr((diff - crit * std_null) / std_alt)
            + special.ndtr((-diff - crit * std_null) / std_alt)
        )
    crit = float(special.ndtri(1.0 - alpha))
    sign = 1.0 if alternative == "larger" else -1.0
    return float(special.ndtr((sign * diff - crit * std_null) / std_alt))


def _check_alternative(alternative: str) -> Alternative:
    if alternative == "two-sided":
        return "two-sided"
    if alternative == "larger":
        return "larger"
    if alternative == "smaller":
        return "smaller"
    raise DataValidationError(
        f"unknown alternative {alternative!r}; choose 'two-sided', 'larger' or 'smaller'"
    )


def power_proportions_2indep(
    diff: float,
    prop2: float,
    nobs1: float,
    *,
    ratio: float = 1.0,
    alpha: float = 0.05,
    alternative: Alternative = "two-sided",
) -> float:
    """Power of the pooled two-proportion z test for p1 − p2 = ``diff``.

    Sample 1 has ``nobs1`` observations and proportion ``prop2 + diff``; sample 2 has
    ``ratio·nobs1`` and ``prop2``.  SE under H0 from the pooled proportion, under H1 unpooled,
    as in statsmodels ``power_proportions_2indep`` and Stata ``power twoproportions``.

    Examples
    --------
    >>> round(power_proportions_2indep(-0.014, 0.015, 550), 5)
    0.74156
    """
    alpha = check_alpha(alpha)
    p2 = _check_fraction(prop2, "prop2")
    p1 = _check_fraction(p2 + diff, "prop2 + diff")
    n1 = _check_positive(nobs1, "nobs1")
    n2 = n1 * _check_positive(ratio, "ratio")
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    std_null = math.sqrt(pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2))
    std_alt = math.sqrt(p1 * (1.0 - p1) / n1 + p2 * (1.0 - p2) / n2)
    if std_alt == 0.0:
        return 1.0 if diff != 0.0 else alpha
    return _normal_power(diff, std_null, std_alt, alpha, _check_alternative(alternative))


def power_poisson_diff(
    rate1: float,
    rate2: float,
    nobs1: float,
    nobs2: float,
    *,
    alpha: float = 0.05,
    alternative: Alternative = "two-sided",
    phi: float = 1.0,
) -> float:
    """Power of the z test of rate1 − rate2 = 0 with the variance under the alternative.

    Var = φ·(rate1/nobs1 + rate2/nobs2) under both H0 and H1 (PASS chapter 436;
    statsmodels ``power_poisson_diff(method_var="alt")``); ``nobs`` are exposures and
    ``phi`` ≥ 1 inflates the variance for overdispersed counts (quasi-Poisson).

    Examples
    --------
    >>> round(power_poisson_diff(15, 10, 6, 8, alternative="larger"), 5)
    0.82566
    """
    alpha = check_alpha(alpha)
    r1 = _check_positive(rate1, "rate1")
    r2 = _check_positive(rate2, "rate2")
    n1 = _check_positive(nobs1, "nobs1")
    n2 = _check_positive(nobs2, "nobs2")
    std = math.sqrt(_check_positive(phi, "phi") * (r1 / n1 + r2 / n2))
    return _normal_power(r1 - r2, std, std, alpha, _check_alternative(alternative))


def _smallest_root(
    power_at: Callable[[float], float], target: float, up_max: float, down_max: float
) -> float:
    """Smallest |d| in (0, up_max] or (0, down_max] where the power reaches ``target``."""
    best = math.inf
    for sign, limit in ((1.0, up_max), (-1.0, down_max)):
        if limit <= 0.0 or power_at(sign * limit) < target:
            continue
        root = optimize.brentq(
            lambda d, s=sign: power_at(s * d) - target, 1e-12 * limit, limit, xtol=1e-15
        )
        best = min(best, float(root))
    return best


def mde_proportion(
    p_before: float,
    n_before: float,
    n_after: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
) -> float:
    """MDE of a proportion (fraction): the smallest |p_after − p_before| with the given power.

    Inverts :func:`power_proportions_2indep` (pooled SE under H0, unpooled under H1) in each
    direction and returns the smaller magnitude.

    Examples
    --------
    >>> d = mde_proportion(0.3, 1000, 1000)
    >>> round(d, 4), round(power_proportions_2indep(-d, 0.3, 1000), 6)
    (0.0557, 0.8)
    """
    alpha, power = check_alpha(alpha), _check_power(power)
    p = _check_fraction(p_before, "p_before")
    n_b = _check_positive(n_before, "n_before")
    n_a = _check_positive(n_after, "n_after")
    return _smallest_root(
        lambda d: power_proportions_2indep(d, p, n_a, ratio=n_b / n_a, alpha=alpha),
        power,
        1.0 - p,
        p,
    )


def mde_rate(
    rate_before: float,
    exposure_before: float,
    exposure_after: float,
    phi: float = 1.0,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
) -> float:
    """MDE of an event rate (events per unit of exposure), smallest |rate_after − rate_before|.

    Inverts :func:`power_poisson_diff` (two-sided, variance under the alternative, inflated by
    ``phi`` for overdispersion) in each direction and returns the smaller magnitude.

    Examples
    --------
    >>> d = mde_rate(0.002, 50_000, 50_000)
    >>> round(power_poisson_diff(0.002 - d, 0.002, 50_000, 50_000), 6)
    0.8
    """
    alpha, power = check_alpha(alpha), _check_power(power)
    r = _check_positive(rate_before, "rate_before")
    e_b = _check_positive(exposure_before, "exposure_before")
    e_a = _check_positive(exposure_after, "exposure_after")
    phi = _check_positive(phi, "phi")

    def power_at(d: float) -> float:
        return power_poisson_diff(max(r + d, 1e-300), r, e_a, e_b, alpha=alpha, phi=phi)

    # an increase is unbounded: search up to a rate far above any detectable change
    up = r + 50.0 * math.sqrt(phi * r * (1.0 / e_a + 1.0 / e_b)) + 50.0 * phi / e_a
    return _smallest_root(power_at, power, up, r * (1.0 - 1e-12))
