"""Rank tests and quantile differences from value counts (CSAT scores, handling times).

Both samples arrive as :class:`~rollout_metrics.stats.sufficient.ValueCounts`; ranks are computed
per distinct value (midranks), so a million tickets at minute resolution cost as much as a few
thousand distinct minutes.  ``before`` comes first, ``after`` second.

Examples
--------
>>> from rollout_metrics.stats.sufficient import ValueCounts
>>> r = mann_whitney_counts(ValueCounts.from_values([1, 2, 3, 4, 5]),
...                         ValueCounts.from_values([1, 2, 3, 4]))
>>> r.statistic, round(r.p_value, 10)
(8.0, 0.7086240584)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import special, stats

from rollout_metrics.errors import DataValidationError, InsufficientDataError
from rollout_metrics.infer.overlap import cross_moment
from rollout_metrics.infer.results import DiffResult
from rollout_metrics.infer.two_sample import check_alpha, essentially_constant, z_quantile
from rollout_metrics.stats.sufficient import RatioOfSums, ValueCounts

__all__ = ["RankResult", "brunner_munzel_counts", "mann_whitney_counts", "quantile_diff"]


@dataclass(frozen=True, slots=True)
class RankResult:
    """Outcome of a rank test of ``after`` against ``before``.

    Attributes
    ----------
    statistic : float
        U of the ``after`` sample (Mann-Whitney) or the Brunner-Munzel t statistic.
    p_value : float
        Two-sided p-value.
    prob_superiority : float
        P(after > before) + 0.5 P(after = before), the common-language effect size
        (0.5 = no shift); equals U / (n_before n_after).
    n_before, n_after : int
        Sample sizes.
    method : str
        ``"mann_whitney_u"`` or ``"brunner_munzel"``.
    extra : Mapping[str, float]
        ``z`` and ``var_u`` (Mann-Whitney); ``df``, ``prob_ci_low``, ``prob_ci_high``
        (Brunner-Munzel).
    """

    statistic: float
    p_value: float
    prob_superiority: float
    n_before: int
    n_after: int
    method: str
    extra: Mapping[str, float] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """One-row DataFrame with every field (``extra`` expanded into columns)."""
        row: dict[str, Any] = asdict(self)
        extra = row.pop("extra")
        row.update({f"extra_{k}": v for k, v in extra.items()})
        return pd.DataFrame([row])


def _counts(vc: ValueCounts, label: str) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    values, counts = vc.arrays()
    if np.any(counts < 0):
        raise DataValidationError(f"{label} has negative counts: {counts[counts < 0][:5].tolist()}")
    if not np.all(np.isfinite(values)):
        raise DataValidationError(
            f"{label} has non-finite values: {values[~np.isfinite(values)][:5]}"
        )
    if counts.sum() == 0:
        raise InsufficientDataError(f"{label} is empty (n = 0)")
    return values, counts


def _aligned(
    before: ValueCounts, after: ValueCounts
) -> tuple[NDArray[np.float64], NDArray[np.float64], int, int]:
    """Counts of both samples on the union of their values, as floats."""
    vb, cb = _counts(before, "before")
    va, ca = _counts(after, "after")
    grid = np.union1d(vb, va)
    xb = np.zeros(grid.size)
    xa = np.zeros(grid.size)
    xb[np.searchsorted(grid, vb)] = cb
    xa[np.searchsorted(grid, va)] = ca
    return xb, xa, int(cb.sum()), int(ca.sum())


def _midranks(t: NDArray[np.float64]) -> NDArray[np.float64]:
    """Midrank of each bin: sum of the counts below it + (t_k + 1) / 2."""
    return np.cumsum(t) - t + (t + 1.0) / 2.0


def mann_whitney_counts(
    before: ValueCounts, after: ValueCounts, *, use_continuity: bool = True
) -> RankResult:
    """Mann-Whitney U test from value counts, normal approximation with tie correction.

    With t_k the combined count of distinct value k and midrank r_k = Σ_{j<k} t_j + (t_k+1)/2:
    U = Σ a_k r_k − nₐ(nₐ+1)/2 for the after counts a_k, Var U = nₐnᵦ/12·[(N+1) −
    Σ(t_k³ − t_k)/(N(N−1))], z = (max(U, nₐnᵦ − U) − nₐnᵦ/2 − ½)/√Var U (the ½ only with
    ``use_continuity``), p = 2Φ(−z) capped at 1.  This is R ``wilcox.test(after, before,
    exact = FALSE)`` and ``scipy.stats.mannwhitneyu(after, before, method="asymptotic")``
    on the expanded samples.  When every observation is tied, p = 1.

    Examples
    --------
    >>> from rollout_metrics.stats.sufficient import ValueCounts
    >>> x = [0.8, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46]
    >>> y = [1.15, 0.88, 0.90, 0.74, 1.21]
    >>> r = mann_whitney_counts(ValueCounts.from_values(y), ValueCounts.from_values(x))
    >>> r.statistic, round(r.p_value, 12), r.prob_superiority
    (35.0, 0.244623605127, 0.7)
    """
    xb, xa, nb, na = _aligned(before, after)
    t = xb + xa
    n = float(nb + na)
    u = float(np.dot(xa, _midranks(t))) - na * (na + 1) / 2.0
    tie_term = float(np.sum(t**3 - t))
    var_u = nb * na / 12.0 * ((n + 1.0) - (tie_term / (n * (n - 1.0)) if n > 1 else 0.0))
    mu = nb * na / 2.0
    if var_u > 0.0:
        z = (max(u, nb * na - u) - mu - (0.5 if use_continuity else 0.0)) / math.sqrt(var_u)
        p_value = float(min(1.0, 2.0 * special.ndtr(-z)))
    else:
        z, p_value = 0.0, 1.0
    return RankResult(
        statistic=u,
        p_value=p_value,
        prob_superiority=u / (nb * na),
        n_before=nb,
        n_after=na,
        method="mann_whitney_u",
        extra={"z": z, "var_u": var_u},
    )


def brunner_munzel_counts(before: ValueCounts, after: ValueCounts) -> RankResult:
    """Brunner-Munzel test of P(after > before) + ½P(=) = ½ from value counts.

    Uses combined and within-sample midranks per distinct value (Brunner & Munzel 2000;
    Neubert & Brunner 2007), a t reference with Satterthwaite df.  Reproduces
    ``scipy.stats.brunnermunzel(before, after)`` and R ``lawstat::brunner.munzel.test``
    on the expanded samples; the statistic is positive when ``after`` tends to be larger.
    ``extra`` holds ``df`` and a t-based CI for ``prob_superiority`` (``prob_ci_low``,
    ``prob_ci_high``, 95%, clipped to [0, 1]).  When both placement variances are 0
    (complete separation or all values equal) the t approximation is undefined; p is then
    1 for P = ½ and 0 otherwise.

    Examples
    --------
    >>> from rollout_metrics.stats.sufficient import ValueCounts
    >>> levels = [-2, -1, 0, 1, 2]
    >>> new = ValueCounts.from_pairs(levels, [24, 37, 21, 19, 6])
    >>> active = ValueCounts.from_pairs(levels, [11, 51, 22, 21, 7])
    >>> r = brunner_munzel_counts(new, active)
    >>> round(r.statistic, 9), round(r.p_value, 9), round(r.prob_superiority, 12)
    (1.175756146, 0.241060665, 0.544225634179)
    """
    xb, xa, nb, na = _aligned(before, after)
    if nb < 2 or na < 2:
        raise InsufficientDataError(
            f"Brunner-Munzel needs at least 2 observations per period, got {nb} and {na}"
        )
    rank_all = _midranks(xb + xa)
    rank_b, rank_a = _midranks(xb), _midranks(xa)
    mean_b = float(np.dot(xb, rank_all)) / nb
    mean_a = float(np.dot(xa, rank_all)) / na
    # placements: combined rank minus within-sample rank, centred
    var_b = float(np.dot(xb, (rank_all - rank_b - mean_b + (nb + 1) / 2.0) ** 2)) / (nb - 1)
    var_a = float(np.dot(xa, (rank_all - rank_a - mean_a + (na + 1) / 2.0) ** 2)) / (na - 1)
    n = nb + na
    prob = (mean_a - mean_b) / n + 0.5
    scale = nb * var_b + na * var_a
    if scale > 0.0:
        stat = nb * na * (mean_a - mean_b) / (n * math.sqrt(scale))
        df = scale**2 / ((nb * var_b) ** 2 / (nb - 1) + (na * var_a) ** 2 / (na - 1))
        p_value = float(min(1.0, 2.0 * stats.t.sf(abs(stat), df)))
        half = float(stats.t.isf(0.025, df)) * math.sqrt(scale) / (nb * na)
    else:
        stat = 0.0 if prob == 0.5 else math.copysign(math.inf, prob - 0.5)
        df, p_value, half = math.nan, (1.0 if prob == 0.5 else 0.0), 0.0
    return RankResult(
        statistic=stat,
        p_value=p_value,
        prob_superiority=prob,
        n_before=nb,
        n_after=na,
        method="brunner_munzel",
        extra={
            "df": df,
            "prob_ci_low": max(0.0, prob - half),
            "prob_ci_high": min(1.0, prob + half),
        },
    )


def _bootstrap_quantiles(
    values: NDArray[np.float64],
    counts: NDArray[np.int64],
    q: float,
    n_resamples: int,
    rng: np.random.Generator,
) -> NDArray[np.float64]:
    """Quantile of each bootstrap resample of the value counts (numpy's linear rule).

    Resampling n rows from the value counts is drawing n uniforms and mapping them
    through the inverse CDF, so the resample's k-th order statistic is F⁻¹(U₍ₖ₎) with
    U₍ₖ₎ ~ Beta(k, n − k + 1), and the next one is U₍ₖ₊₁₎ = U₍ₖ₎ + (1 − U₍ₖ₎)·Beta(1, n − k)
    (the smallest of the n − k uniforms above it; David & Nagaraja 2003, *Order
    Statistics*, §2.1-2.2).  That is O(1) per resample instead of O(distinct values).

    Values are taken as rounded to the grid of their smallest spacing (whole minutes):
    F⁻¹ spreads each value's mass uniformly over its rounding interval, the smoothed
    bootstrap for rounded data (Hall, DiCiccio & Romano 1989, *Ann. Statist.* 17(2)).
    The plain percentile interval of a discrete median sits on the grid and over-covers
    (0.972 in 4,000 A/A splits of log-normal whole-minute times, n = 300); smoothed it
    covers 0.95-0.96 (``benchmarks/calibration.py``, ``docs/methods.md``).  A constant
    sample has no grid and is not smoothed.
    """
    n = int(counts.sum())
    pos = q * (n - 1)
    lo, hi = math.floor(pos), math.ceil(pos)
    frac = pos - lo
    cum = np.cumsum(counts) / n
    prev = np.concatenate([[0.0], cum[:-1]])
    last = values.size - 1
    width = float(np.min(np.diff(values))) if values.size > 1 else 0.0

    def inverse_cdf(u: NDArray[np.float64]) -> NDArray[np.float64]:
        j = np.minimum(np.searchsorted(cum, u, side="left"), last)
        within = (u - prev[j]) / (cum[j] - prev[j])
        out: NDArray[np.float64] = values[j] + width * (within - 0.5)
        return out

    u_lo = rng.beta(lo + 1, n - lo, size=n_resamples)
    v_lo = inverse_cdf(u_lo)
    if hi == lo:
        return v_lo
    u_hi = u_lo + (1.0 - u_lo) * rng.beta(1, n - lo - 1, size=n_resamples)
    return v_lo + (inverse_cdf(u_hi) - v_lo) * frac


def _inverted_p(boot: NDArray[np.float64], estimate: float) -> float:
    """Smallest alpha at which the percentile interval of ``boot``, joined with ``estimate``,
    excludes 0 (before the floor).

    With Q(u) numpy's linear quantile of the B sorted differences (position u·(B − 1)), the
    interval [min(Q(α/2), estimate), max(Q(1 − α/2), estimate)] excludes 0 exactly when
    α > 2·sup{u: Q(u) ≤ 0} (estimate > 0) or α > 2·(1 − inf{u: Q(u) ≥ 0}) (estimate < 0);
    never when the estimate is 0.  Q is piecewise linear, so the crossing of 0 is exact.
    """
    if estimate == 0.0:
        return 1.0
    b = np.sort(boot) if estimate > 0.0 else np.sort(-boot)
    # With estimate < 0 the upper tail of boot is the lower tail of -boot: one case.
    last = b.size - 1
    k = int(np.searchsorted(b, 0.0, side="right"))  # b[k-1] <= 0 < b[k]
    if k == 0:
        return 0.0
    if k > last:
        return 1.0
    x = (k - 1) + float(0.0 - b[k - 1]) / float(b[k] - b[k - 1])
    return min(1.0, 2.0 * x / last)


def cluster_scale(before: RatioOfSums, after: RatioOfSums, var_before: float,
                  var_after: float) -> float:
    """The factor on the bootstrap differences of two quantiles that turns their variance
    (independent tickets: ``var_before + var_after``) into the one clustered by customer.

    ``before`` and ``after`` are the same customers' sums seen from the two periods compared
    (:meth:`RatioOfSums.at`).  Per period ``p``, ``F_p = Σ y_p / Σ n_p`` is the empirical
    distribution function at the period's quantile; its delta-method variance clustered by
    customer over its variance with independent tickets, ``F_p (1 - F_p) / Σ n_p``, is the
    period's design effect ``d_p``, and ``r`` the correlation of the two ``F`` through shared
    customers.  The factor is
    ``sqrt((d_a v_a + d_b v_b - 2 r sqrt(d_a d_b v_a v_b)) / (v_a + v_b))``; 1 when a period
    has no spread.

    Examples
    --------
    >>> m = {"y_before": 2.0, "n_before": 4.0, "y_after": 2.0, "n_after": 4.0,
    ...      "y_before*y_before": 4.0, "y_before*n_before": 4.0, "n_before*n_before": 8.0,
    ...      "y_after*y_after": 4.0, "y_after*n_after": 4.0, "n_after*n_after": 8.0,
    ...      "y_before*y_after": 0.0, "y_before*n_after": 0.0, "n_before*y_after": 0.0,
    ...      "n_before*n_after": 0.0}
    >>> s = RatioOfSums("before", ("before", "after"), tuple(m.items()),
    ...                 (("before", 2), ("after", 2)))
    >>> round(cluster_scale(s, s.at("after"), 1.0, 1.0), 6)  # two customers of two tied tickets
    1.414214
    """
    if (before.periods, before.moments) != (after.periods, after.moments):
        raise ValueError("cluster_scale needs the same customers' sums seen from two periods")
    b, a = before.period, after.period
    nb, na = before.units, after.units
    if nb <= 0 or na <= 0 or var_before <= 0.0 or var_after <= 0.0:
        return 1.0
    fb, fa = before.ratio, after.ratio
    iid_b, iid_a = fb * (1.0 - fb) / nb, fa * (1.0 - fa) / na
    if iid_b <= 0.0 or iid_a <= 0.0:
        return 1.0
    cl_b = max(cross_moment(before, b, b, fb, fb), 0.0) / nb**2
    cl_a = max(cross_moment(before, a, a, fa, fa), 0.0) / na**2
    cov = cross_moment(before, a, b, fa, fb) / (na * nb)
    r = cov / math.sqrt(cl_b * cl_a) if cl_b > 0.0 and cl_a > 0.0 else 0.0
    d_b, d_a = cl_b / iid_b, cl_a / iid_a
    target = (d_a * var_after + d_b * var_before
              - 2.0 * r * math.sqrt(d_a * d_b * var_after * var_before))
    return math.sqrt(max(target, 0.0) / (var_before + var_after))


def quantile_diff(
    before: ValueCounts,
    after: ValueCounts,
    *,
    q: float = 0.5,
    n_resamples: int = 2000,
    seed: int = 0,
    alpha: float = 0.05,
    clusters: tuple[RatioOfSums, RatioOfSums] | None = None,
) -> DiffResult:
    """Difference of quantiles ``quantile(after, q) - quantile(before, q)``: bootstrap CI and
    the p-value of the same bootstrap.

    The quantile uses linear interpolation between order statistics (numpy's default,
    :meth:`ValueCounts.quantile`).  CI: percentile interval of the smoothed bootstrap,
    resampling each period's value counts (equivalent to resampling the rows, then spreading
    each value over its rounding interval; see ``_bootstrap_quantiles``), drawn exactly and in
    O(1) per resample through the order statistics of uniforms, so 20,000+ distinct values
    cost nothing extra.  With heavily tied data the interval can miss the point estimate; it is
    then widened to reach it.

    p-value: the smallest alpha at which that interval excludes 0 (inverting the interval;
    about 2·min(share of bootstrap differences ≤ 0, share ≥ 0)), 1 when the estimate is 0,
    and never below 1/(B + 1) for B = ``n_resamples``: B resamples cannot resolve a smaller p.
    So ``p < alpha`` exactly when the interval excludes 0 (``n_resamples >= 2/alpha`` keeps
    the floor below alpha/2).  A/A calibration: ``docs/methods.md``.

    The Mann-Whitney test (:func:`mann_whitney_counts`), a test of a shift in the whole
    distribution rather than in this quantile, stays available beside it:
    ``extra["mann_whitney_p"]``, ``extra["mann_whitney_u"]`` and ``extra["prob_superiority"]``.

    ``se`` is the SE a normal interval of the same width would have,
    (upper − lower)/(2 z₁₋α/₂) of the percentile bounds, so the minimum detectable effect
    (z₁₋α/₂ + z_power)·se is the shift that moves this interval off 0 with that power;
    ``extra["boot_sd"]`` is the bootstrap SD.  When the bootstrap differences have no spread
    (both periods constant) the result is ``degenerate``: no p-value, no interval.

    Tickets of one customer are not independent.  ``clusters``, the before and after views of
    per-customer sums (:func:`rollout_metrics.reduce.quantiles.quantile_moments`: per
    customer, the tickets at or below each period's quantile, ``y_<p>``, and all its
    tickets, ``n_<p>``), rescales the bootstrap differences around their median by the ratio
    of the variance clustered by customer to the one of independent tickets (Deng, Knoblich
    & Lu 2018: the variance of a quantile is that of the empirical distribution function at
    it over the squared density, and only the first factor depends on the clustering); the
    covariance of the two periods through shared customers is kept.  Interval and p-value
    both come from the rescaled differences, so they still agree; method
    ``quantile_<q>_bootstrap_clustered``, ``extra["cluster_scale"]`` the factor.

    The two periods draw from two streams of ``seed`` assigned by their data, not their role,
    so swapping ``before`` and ``after`` negates every bootstrap difference: the interval flips
    and the p-value is unchanged.  Same inputs and seed give identical output.

    Examples
    --------
    >>> from rollout_metrics.stats.sufficient import ValueCounts
    >>> b = ValueCounts.from_pairs([10, 20, 30, 40], [30, 40, 20, 10])
    >>> a = ValueCounts.from_pairs([10, 20, 30, 40], [10, 30, 40, 20])
    >>> r = quantile_diff(b, a, seed=1)
    >>> r.estimate, r.ci_low <= r.estimate <= r.ci_high, r.method
    (10.0, True, 'quantile_0.5_bootstrap')
    >>> (r.p_value < 0.05) == (r.ci_low > 0 or r.ci_high < 0)
    True
    """
    alpha = check_alpha(alpha)
    if not 0.0 <= q <= 1.0:
        raise DataValidationError(f"q must be in [0, 1], got {q!r}")
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, int) or n_resamples < 100:
        raise DataValidationError(f"n_resamples must be an integer >= 100, got {n_resamples!r}")
    if n_resamples * alpha < 2.0:
        raise DataValidationError(
            f"n_resamples must be at least 2/alpha = {math.ceil(2.0 / alpha)} so that each tail "
            f"of the {1 - alpha:.4g} interval holds a resample, got {n_resamples}"
        )
    mw = mann_whitney_counts(before, after)
    vb, cb = before.arrays()
    va, ca = after.arrays()
    qb, qa = before.quantile(q), after.quantile(q)
    estimate = qa - qb
    streams = np.random.SeedSequence(seed).spawn(2)
    if (vb.tobytes(), cb.tobytes()) > (va.tobytes(), ca.tobytes()):
        streams.reverse()
    boot_b = _bootstrap_quantiles(vb, cb, q, n_resamples, np.random.default_rng(streams[0]))
    boot_a = _bootstrap_quantiles(va, ca, q, n_resamples, np.random.default_rng(streams[1]))
    boot = boot_a - boot_b
    scale = 1.0
    if clusters is not None:
        scale = cluster_scale(*clusters, float(np.var(boot_b)), float(np.var(boot_a)))
        centre = float(np.median(boot))
        boot = centre + scale * (boot - centre)
    boot_sd = float(np.std(boot, ddof=1))
    low, high = (float(x) for x in np.quantile(boot, [alpha / 2.0, 1.0 - alpha / 2.0]))
    se = (high - low) / (2.0 * z_quantile(alpha))
    degenerate = essentially_constant(boot_sd, qb, qa)
    if degenerate:
        p_value = ci_low = ci_high = math.nan
    else:
        p_value = max(_inverted_p(boot, estimate), 1.0 / (n_resamples + 1))
        ci_low, ci_high = min(low, estimate), max(high, estimate)
    return DiffResult(
        before=qb,
        after=qa,
        estimate=estimate,
        ci_low=ci_low,
        ci_high=ci_high,
        p_value=p_value,
        statistic=math.nan,
        method=f"quantile_{q:g}_bootstrap" + ("_clustered" if clusters is not None else ""),
        n_before=mw.n_before,
        n_after=mw.n_after,
        alpha=alpha,
        extra={
            "se": se,
            "boot_sd": boot_sd,
            "cluster_scale": scale,
            "p_floor": 1.0 / (n_resamples + 1),
            "mann_whitney_p": mw.p_value,
            "mann_whitney_u": mw.statistic,
            "prob_superiority": mw.prob_superiority,
        },
        se=se,
        degenerate=degenerate,
    )
