"""Two-sample tests and intervals on sufficient statistics: NPS, proportions, means.

Every function takes the ``before`` statistic first and ``after`` second and returns a
:class:`~rollout_metrics.infer.results.DiffResult` with ``estimate = after - before`` in raw units
(NPS as a fraction in [-1, 1], proportions as fractions, means in the variable's units).
Nothing here ever sees a raw row.  Rank tests and quantiles live in
:mod:`rollout_metrics.infer.ranks`, event rates in :mod:`rollout_metrics.infer.rates`.

Examples
--------
>>> from rollout_metrics.stats.sufficient import NpsCounts
>>> r = nps_diff(NpsCounts(50, 30, 20), NpsCounts(40, 30, 30))
>>> round(r.estimate, 2), r.method
(-0.2, 'nps_adjusted_wald')
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from numbers import Integral, Real
from typing import Literal

from scipy import optimize, special, stats

from rollout_metrics.errors import DataValidationError, InsufficientDataError
from rollout_metrics.infer.results import DiffResult
from rollout_metrics.stats.sufficient import Moments, NpsCounts, Proportion

__all__ = [
    "agree_at_alpha",
    "essentially_constant",
    "nps_diff",
    "nps_interval",
    "proportion_diff",
    "welch_diff",
    "wilson_interval",
]

NpsDiffMethod = Literal["adjusted_wald", "wald"]
NpsIntervalMethod = Literal["wald", "adjusted_wald", "tango"]

#: Pseudo-counts of the adjusted Wald NPS interval (Rocks 2016; Lewis & Sauro 2021).
NPS_PSEUDO_COUNTS = (0.75, 1.5, 0.75)

#: R's relative tolerance for "data are essentially constant" (``stats:::t.test.default``:
#: ``stderr < 10 * .Machine$double.eps * max(abs(mx), abs(my))``).
CONSTANT_TOLERANCE = 10.0 * sys.float_info.epsilon


# --------------------------------------------------------------------------- validation
def check_alpha(alpha: float) -> float:
    """Return ``alpha`` as a float after checking 0 < alpha < 1."""
    if isinstance(alpha, bool) or not isinstance(alpha, Real) or not 0.0 < float(alpha) < 1.0:
        raise DataValidationError(f"alpha must be a number strictly between 0 and 1, got {alpha!r}")
    return float(alpha)


def check_count(value: object, what: str) -> int:
    """Return ``value`` as an int after checking it is a non-negative integer."""
    if isinstance(value, bool) or not isinstance(value, Integral) or int(value) < 0:
        raise DataValidationError(f"{what} must be a non-negative integer, got {value!r}")
    return int(value)


def check_method(method: str, allowed: tuple[str, ...]) -> str:
    """Return ``method`` after checking it is one of ``allowed``."""
    if method not in allowed:
        raise DataValidationError(
            f"unknown method {method!r}; choose one of {', '.join(map(repr, allowed))}"
        )
    return method


def z_quantile(alpha: float) -> float:
    """Two-sided standard normal critical value z_{1 - alpha/2}."""
    return float(special.ndtri(1.0 - alpha / 2.0))


def normal_p(z: float) -> float:
    """Two-sided p-value of a standard normal statistic."""
    return float(min(1.0, 2.0 * special.ndtr(-abs(z))))


def essentially_constant(se: float, *levels: float) -> bool:
    """Whether a standard error is zero or at rounding level next to ``levels``.

    The rule of R's ``t.test``, which stops with "data are essentially constant" when
    ``stderr < 10 * .Machine$double.eps * max(abs(mx), abs(my))``
    (``tests/r/t_test_constant.R``).  Here with ``<=``, so an SE of exactly 0 beside levels of 0
    counts as well (R's t is then 0/0 and its p-value ``NA``); a NaN SE counts too.

    Examples
    --------
    >>> essentially_constant(0.0, 3.0, 2.0), essentially_constant(1e-3, 3.0, 2.0)
    (True, False)
    """
    scale = max((abs(v) for v in levels), default=0.0)
    return not se > CONSTANT_TOLERANCE * scale


def agree_at_alpha(
    low: float, high: float, p_value: float, alpha: float, interval_p: Callable[[], float]
) -> tuple[float, float, float]:
    """Make a test and an interval of two constructions give one answer at ``alpha``.

    Where a method pairs a test with an interval of another construction (the pooled z test
    with Newcombe's interval, the exact Poisson test with the score interval), the two can
    disagree at the margin.  The row then takes the cautious reading of both: an interval
    that excludes 0 while the test does not reject is extended to 0, and a test that rejects
    while the interval holds 0 gets the interval's own p-value ``interval_p()`` (the smallest
    level at which the interval excludes 0, not below ``alpha`` here).  Afterwards
    ``p < alpha`` exactly when the interval excludes 0.  Returns ``(low, high, p_value)``.

    Examples
    --------
    >>> agree_at_alpha(0.01, 0.3, 0.06, 0.05, lambda: 0.04)
    (0.0, 0.3, 0.06)
    >>> agree_at_alpha(-0.01, 0.3, 0.04, 0.05, lambda: 0.07)
    (-0.01, 0.3, 0.07)
    """
    excludes = low > 0.0 or high < 0.0
    if excludes and not p_value < alpha:
        return min(low, 0.0), max(high, 0.0), p_value
    if p_value < alpha and not excludes:
        return low, high, max(interval_p(), alpha)
    return low, high, p_value


def _nps_parts(counts: NpsCounts, label: str) -> tuple[int, int, int]:
    p = check_count(counts.promoters, f"{label} promoters")
    m = check_count(counts.passives, f"{label} passives")
    d = check_count(counts.detractors, f"{label} detractors")
    if p + m + d == 0:
        raise InsufficientDataError(f"{label} has no NPS responses (n = 0)")
    return p, m, d


def _nps_mean_var(p: float, m: float, d: float) -> tuple[float, float, float]:
    """NPS fraction, multinomial variance V = (p+ + p-) - (p+ - p-)^2, and n."""
    n = p + m + d
    pp, pd = p / n, d / n
    nps = pp - pd
    return nps, max(0.0, pp + pd - nps * nps), n


# --------------------------------------------------------------------------- NPS
def nps_interval(
    counts: NpsCounts,
    *,
    method: NpsIntervalMethod = "adjusted_wald",
    alpha: float = 0.05,
) -> tuple[float, float]:
    """One-sample confidence interval for NPS as a fraction in [-1, 1].

    Parameters
    ----------
    counts : NpsCounts
        Promoters, passives and detractors.
    method : {"adjusted_wald", "wald", "tango"}
        ``"wald"``: NPS ± z·sqrt(V/n) with the multinomial variance
        V = (p₊ + p₋) − (p₊ − p₋)² (Rocks 2016, R package ``NPS::npvar``).
        ``"adjusted_wald"``: the same after adding 3/4 promoter, 1.5 passives and
        3/4 detractor (Rocks 2016; Lewis & Sauro 2021), centred at the adjusted NPS.
        ``"tango"``: score interval found by root finding.  NPS is a paired difference of
        proportions (promoters and detractors are the discordant cells of a paired 2x2 table),
        so this is Tango's (1998) score interval, as in R ``contingencytables::
        Tango_asymptotic_score_CI_paired_2x2`` and Rocks' "iterative" interval.
    alpha : float
        The interval has coverage ``1 - alpha``.

    Returns
    -------
    tuple of float
        (low, high), clipped to [-1, 1].

    Examples
    --------
    >>> from rollout_metrics.stats.sufficient import NpsCounts
    >>> lo, hi = nps_interval(NpsCounts(6, 139, 16), method="tango")
    >>> round(lo, 4), round(hi, 4)
    (-0.124, -0.0054)
    """
    alpha = check_alpha(alpha)
    check_method(method, ("wald", "adjusted_wald", "tango"))
    p, m, d = _nps_parts(counts, "counts")
    z = z_quantile(alpha)
    if method == "tango":
        return _tango_interval(p, d, p + m + d, z)
    if method == "adjusted_wald":
        ap, am, ad = NPS_PSEUDO_COUNTS
        nps, var, n = _nps_mean_var(p + ap, m + am, d + ad)
    else:
        nps, var, n = _nps_mean_var(p, m, d)
    half = z * math.sqrt(var / n)
    return max(-1.0, nps - half), min(1.0, nps + half)


def _tango_interval(b: int, c: int, n: int, z: float) -> tuple[float, float]:
    """Tango (1998) score interval for the paired difference (b - c)/n."""

    def score(delta: float) -> float:
        a_ = 2.0 * n
        b_ = -b - c + (2.0 * n - b + c) * delta
        c_ = -c * delta * (1.0 - delta)
        p21 = (math.sqrt(max(0.0, b_ * b_ - 4.0 * a_ * c_)) - b_) / (2.0 * a_)
        denom = n * (2.0 * p21 + delta * (1.0 - delta))
        if denom <= 0.0:
            return math.copysign(math.inf, b - c - n * delta)
        return (b - c - n * delta) / math.sqrt(denom)

    est = (b - c) / n
    edge = 1.0 - 1e-12
    low = -1.0 if est <= -edge else _root(lambda x: score(x) - z, -edge, est)
    high = 1.0 if est >= edge else _root(lambda x: score(x) + z, est, edge)
    return low, high


def _root(fun: Callable[[float], float], lo: float, hi: float) -> float:
    if fun(lo) * fun(hi) > 0:  # the bound is at the edge of the parameter space
        return lo if abs(fun(lo)) < abs(fun(hi)) else hi
    return float(optimize.brentq(fun, lo, hi, xtol=1e-14, rtol=1e-14, maxiter=500))


def nps_diff(
    before: NpsCounts,
    after: NpsCounts,
    *,
    method: NpsDiffMethod = "adjusted_wald",
    alpha: float = 0.05,
) -> DiffResult:
    """Difference of two independent NPS, ``after - before``, as a fraction in [-2, 2].

    Parameters
    ----------
    before, after : NpsCounts
        Counts of promoters, passives and detractors in each period.
    method : {"adjusted_wald", "wald"}
        ``"adjusted_wald"`` (default) adds 3/4 promoter, 1.5 passives and 3/4 detractor to
        *each* sample, then forms z = (NPS̃ₐ − NPS̃ᵦ)/sqrt(Ṽₐ/ñₐ + Ṽᵦ/ñᵦ) with the multinomial
        variance V = (p₊ + p₋) − (p₊ − p₋)² (Rocks 2016, two-sample branch of ``NPS::nps.test``;
        pseudo-counts as in Lewis & Sauro 2021).  Plain Wald under-covers at small n (exact
        coverage 0.845 at n = 20, p₊ = .85, against 0.962 adjusted).  ``"wald"`` uses the raw
        counts.
    alpha : float
        The CI has coverage ``1 - alpha``.

    Returns
    -------
    DiffResult
        ``before``/``after`` are the unadjusted NPS fractions and ``estimate`` is their raw
        difference, so ``estimate == after - before`` always holds.  The CI is the adjusted
        Wald interval (centred at the adjusted difference, kept in ``extra["estimate_adjusted"]``)
        and the p-value comes from the same z, so "p < alpha" and "CI excludes 0" agree.
        The adjustment shrinks each NPS towards 0 by n/(n + 3); at very small n the raw
        difference can fall outside the adjusted interval, and the interval is then widened
        to reach it.  If raw and adjusted differences do not share a sign (or the raw one is 0),
        the data give no direction and p is set to 1, which keeps p and CI consistent.
        ``extra`` holds ``se`` and ``z``.  When the SE is 0 (``"wald"`` with every answer of
        each period in one category) the result is ``degenerate``: no p-value, no interval.

    Examples
    --------
    >>> from rollout_metrics.stats.sufficient import NpsCounts
    >>> r = nps_diff(NpsCounts(291, 476, 395), NpsCounts(6, 139, 16), method="wald")
    >>> round(r.estimate, 6), round(r.p_value, 6)
    (0.027389, 0.451949)
    """
    alpha = check_alpha(alpha)
    check_method(method, ("adjusted_wald", "wald"))
    pb, mb, db = _nps_parts(before, "before")
    pa, ma, da = _nps_parts(after, "after")
    nps_b, var_b, n_b = _nps_mean_var(pb, mb, db)
    nps_a, var_a, n_a = _nps_mean_var(pa, ma, da)
    raw = nps_a - nps_b
    if method == "adjusted_wald":
        ap, am, ad = NPS_PSEUDO_COUNTS
        adj_b, var_b, adj_n_b = _nps_mean_var(pb + ap, mb + am, db + ad)
        adj_a, var_a, adj_n_a = _nps_mean_var(pa + ap, ma + am, da + ad)
        centre = adj_a - adj_b
        se = math.sqrt(var_b / adj_n_b + var_a / adj_n_a)
    else:
        centre = raw
        se = math.sqrt(var_b / n_b + var_a / n_a)
    zq = z_quantile(alpha)
    degenerate = essentially_constant(se, nps_b, nps_a)
    if degenerate:  # every answer of each period in one category: no sampling variability
        z = p_value = ci_low = ci_high = math.nan
    else:
        z = centre / se
        p_value = normal_p(z)
        ci_low, ci_high = centre - zq * se, centre + zq * se
    if method == "adjusted_wald":
        ci_low, ci_high = min(ci_low, raw), max(ci_high, raw)
        if raw * centre <= 0.0:
            p_value = 1.0
            ci_low, ci_high = min(ci_low, 0.0), max(ci_high, 0.0)
    extra: dict[str, float] = {"se": se, "z": z}
    if method == "adjusted_wald":
        extra["estimate_adjusted"] = centre
    return DiffResult(
        before=nps_b,
        after=nps_a,
        estimate=raw,
        ci_low=ci_low if degenerate else max(-2.0, ci_low),
        ci_high=ci_high if degenerate else min(2.0, ci_high),
        p_value=p_value,
        statistic=z,
        method=f"nps_{method}",
        n_before=n_b,
        n_after=n_a,
        alpha=alpha,
        extra=extra,
        degenerate=degenerate,
    )


# --------------------------------------------------------------------------- proportions
def _proportion_parts(p: Proportion, label: str) -> tuple[int, int]:
    x = check_count(p.successes, f"{label} successes")
    n = check_count(p.n, f"{label} n")
    if n == 0:
        raise InsufficientDataError(f"{label} has no observations (n = 0)")
    if x > n:
        raise DataValidationError(f"{label} has more successes ({x}) than observations ({n})")
    return x, n


def _wilson(x: int, n: int, z: float) -> tuple[float, float]:
    z2 = z * z
    phat = x / n
    centre = (x + z2 / 2.0) / (n + z2)
    half = z * math.sqrt(n) / (n + z2) * math.sqrt(phat * (1.0 - phat) + z2 / (4.0 * n))
    low = 0.0 if x == 0 else max(0.0, centre - half)
    high = 1.0 if x == n else min(1.0, centre + half)
    return low, high


def wilson_interval(p: Proportion, *, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson (1927) score interval for one proportion.

    Examples
    --------
    >>> from rollout_metrics.stats.sufficient import Proportion
    >>> lo, hi = wilson_interval(Proportion(13, 16))
    >>> round(lo, 4), round(hi, 4)
    (0.5699, 0.9341)
    """
    alpha = check_alpha(alpha)
    x, n = _proportion_parts(p, "proportion")
    return _wilson(x, n, z_quantile(alpha))


def _newcombe(xb: int, nb: int, xa: int, na: int, z: float) -> tuple[float, float]:
    """Newcombe's hybrid score interval for p_a − p_b from the two Wilson intervals."""
    pb, pa = xb / nb, xa / na
    lb, ub = _wilson(xb, nb, z)
    la, ua = _wilson(xa, na, z)
    diff = pa - pb
    return (diff - math.sqrt((pa - la) ** 2 + (ub - pb) ** 2),
            diff + math.sqrt((ua - pa) ** 2 + (pb - lb) ** 2))


def _newcombe_p(xb: int, nb: int, xa: int, na: int) -> float:
    """The smallest alpha at which Newcombe's interval excludes 0 (its bound nearest 0
    moves towards 0 as z grows)."""
    diff = xa / na - xb / nb
    if diff == 0.0:
        return 1.0
    sign = 1.0 if diff > 0 else -1.0

    def near(z: float) -> float:
        low, high = _newcombe(xb, nb, xa, na, z)
        return low if sign > 0 else -high

    top = 40.0
    if near(top) > 0.0:
        return normal_p(top)
    return normal_p(float(optimize.brentq(near, 0.0, top, xtol=1e-12)))


def proportion_diff(before: Proportion, after: Proportion, *, alpha: float = 0.05) -> DiffResult:
    """Difference of two independent proportions, ``after - before``.

    The p-value is the pooled two-proportion z (score) test, identical to Pearson's
    chi-square without continuity correction (R ``prop.test(correct = FALSE)``).
    The CI is Newcombe's (1998) hybrid score interval (his method 10) built from the two
    Wilson intervals; it always contains the estimate.  As the two come from different
    constructions they can disagree in borderline cases (mostly with small or unequal n);
    METHODS.md chooses this pair for its coverage (Fagerland, Lydersen & Laake 2015).  Where
    they disagree at ``alpha``, :func:`agree_at_alpha` takes the cautious reading: the interval
    is extended to 0 when z does not reject, and the p-value is the interval's own (the
    smallest level at which it excludes 0) when the interval holds 0, so ``p < alpha`` exactly
    when the interval excludes 0.  ``extra`` holds the unpooled ``se``, ``z`` and ``p_z``, the
    z test's p-value.  At 0% or at 100% in both periods the pooled SE is 0 and the z test is
    undefined: the result is ``degenerate``, with no p-value; the Newcombe interval, of
    positive width, stays.

    Examples
    --------
    >>> from rollout_metrics.stats.sufficient import Proportion
    >>> r = proportion_diff(Proportion(1, 34), Proportion(7, 34))
    >>> round(r.estimate, 4), round(r.ci_low, 4), round(r.ci_high, 4)
    (0.1765, 0.0189, 0.3404)
    """
    alpha = check_alpha(alpha)
    xb, nb = _proportion_parts(before, "before")
    xa, na = _proportion_parts(after, "after")
    pb, pa = xb / nb, xa / na
    diff = pa - pb
    pooled = (xa + xb) / (na + nb)
    se0 = math.sqrt(pooled * (1.0 - pooled) * (1.0 / na + 1.0 / nb))
    degenerate = essentially_constant(se0, pb, pa)
    z = math.nan if degenerate else diff / se0
    low, high = _newcombe(xb, nb, xa, na, z_quantile(alpha))
    low, high = max(-1.0, low), min(1.0, high)
    p_z = math.nan if degenerate else normal_p(z)
    p_value = p_z
    if not degenerate:
        low, high, p_value = agree_at_alpha(low, high, p_z, alpha,
                                            lambda: _newcombe_p(xb, nb, xa, na))
    se = math.sqrt(pa * (1 - pa) / na + pb * (1 - pb) / nb)
    return DiffResult(
        before=pb,
        after=pa,
        estimate=diff,
        ci_low=low,
        ci_high=high,
        p_value=p_value,
        statistic=z,
        method="two_proportion_z_newcombe",
        n_before=nb,
        n_after=na,
        alpha=alpha,
        extra={"se": se, "z": z, "p_z": p_z},
        se=se,
        degenerate=degenerate,
    )


# --------------------------------------------------------------------------- means
def _moments_parts(m: Moments, label: str) -> tuple[int, float, float]:
    n = check_count(m.n, f"{label} n")
    if n < 2:
        raise InsufficientDataError(
            f"{label} needs at least 2 observations for a variance, got {n}"
        )
    if not (math.isfinite(m.total) and math.isfinite(m.total_sq)):
        raise DataValidationError(f"{label} moments must be finite, got {m!r}")
    # From sums, Σx² − (Σx)²/n cancels: constant data leave a variance of up to about
    # n·eps·Σx²/(n − 1) (Chan, Golub & LeVeque 1983, Amer. Statist. 37(3)), where R's two-pass
    # var() gives 0.  A variance within that rounding bound is 0.
    floor = 4.0 * n * sys.float_info.epsilon * abs(m.total_sq) / (n - 1)
    variance = m.variance
    return n, m.mean, variance if variance > floor else 0.0


def welch_diff(before: Moments, after: Moments, *, alpha: float = 0.05) -> DiffResult:
    """Welch's unequal-variance t test and CI for ``mean(after) - mean(before)``.

    Degrees of freedom by Welch-Satterthwaite (``extra["df"]``); ``extra["se"]`` is the SE of
    the difference.  Matches R ``t.test(after, before)`` and
    ``scipy.stats.ttest_ind(after, before, equal_var=False)``.  Data that R's ``t.test``
    refuses as "essentially constant" (SE below 10 machine epsilons times the larger absolute
    mean, :func:`essentially_constant`; a variance at the rounding level of the sums counts as
    0) give a ``degenerate`` result: no p-value, no interval, NaN statistic and df.

    Examples
    --------
    >>> from rollout_metrics.stats.sufficient import ValueCounts
    >>> x = ValueCounts.from_values([0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0])
    >>> y = ValueCounts.from_values([1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4])
    >>> r = welch_diff(y.moments(), x.moments())
    >>> round(r.statistic, 6), round(r.extra["df"], 5)
    (-1.860813, 17.77647)
    """
    alpha = check_alpha(alpha)
    nb, mb, vb = _moments_parts(before, "before")
    na, ma, va = _moments_parts(after, "after")
    diff = ma - mb
    sb, sa = vb / nb, va / na
    se = math.sqrt(sb + sa)
    degenerate = essentially_constant(se, mb, ma)
    if degenerate:
        df = t = p_value = half = math.nan
    else:
        df = (sb + sa) ** 2 / (sb * sb / (nb - 1) + sa * sa / (na - 1))
        t = diff / se
        p_value = float(min(1.0, 2.0 * stats.t.sf(abs(t), df)))
        half = float(stats.t.isf(alpha / 2.0, df)) * se
    return DiffResult(
        before=mb,
        after=ma,
        estimate=diff,
        ci_low=diff - half,
        ci_high=diff + half,
        p_value=p_value,
        statistic=t,
        method="welch_t",
        n_before=nb,
        n_after=na,
        alpha=alpha,
        extra={"se": se, "df": df},
        se=se,
        degenerate=degenerate,
    )
