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
from rollout_metrics.infer.results import DiffResult
from rollout_metrics.infer.two_sample import check_alpha
from rollout_metrics.stats.sufficient import ValueCounts

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
    covers 0.953 (``tests/test_calibration.py``).
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


def quantile_diff(
    before: ValueCounts,
    after: ValueCounts,
    *,
    q: float = 0.5,
    n_resamples: int = 2000,
    seed: int = 0,
    alpha: float = 0.05,
) -> DiffResult:
    """Difference of quantiles ``quantile(after, q) - quantile(before, q)`` with a bootstrap CI.

    The quantile uses linear interpolation between order statistics (numpy's default,
    :meth:`ValueCounts.quantile`).  CI: percentile bootstrap, resampling each period's value
    counts (equivalent to resampling the rows), drawn exactly and in O(1) per resample through
    the order statistics of uniforms (see ``_bootstrap_quantiles``), so 20,000+ distinct
    values cost nothing extra.  With heavily tied data the percentile interval can miss the point estimate; it is
    then widened to reach it.  p-value: the tie-corrected Mann-Whitney test
    (:func:`mann_whitney_counts`), as METHODS.md prescribes; it tests a shift in distribution,
    so it can disagree with the quantile CI.  ``extra``: bootstrap ``se`` (SD) and
    ``prob_superiority``.  Same inputs and seed give identical output.

    Examples
    --------
    >>> from rollout_metrics.stats.sufficient import ValueCounts
    >>> b = ValueCounts.from_pairs([10, 20, 30, 40], [30, 40, 20, 10])
    >>> a = ValueCounts.from_pairs([10, 20, 30, 40], [10, 30, 40, 20])
    >>> r = quantile_diff(b, a, seed=1)
    >>> r.estimate, r.ci_low <= r.estimate <= r.ci_high
    (10.0, True)
    """
    alpha = check_alpha(alpha)
    if not 0.0 <= q <= 1.0:
        raise DataValidationError(f"q must be in [0, 1], got {q!r}")
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, int) or n_resamples < 100:
        raise DataValidationError(f"n_resamples must be an integer >= 100, got {n_resamples!r}")
    mw = mann_whitney_counts(before, after)
    vb, cb = before.arrays()
    va, ca = after.arrays()
    qb, qa = before.quantile(q), after.quantile(q)
    estimate = qa - qb
    rng = np.random.default_rng(seed)
    boot = _bootstrap_quantiles(va, ca, q, n_resamples, rng) - _bootstrap_quantiles(
        vb, cb, q, n_resamples, rng
    )
    low, high = np.quantile(boot, [alpha / 2.0, 1.0 - alpha / 2.0])
    return DiffResult(
        before=qb,
        after=qa,
        estimate=estimate,
        ci_low=min(float(low), estimate),
        ci_high=max(float(high), estimate),
        p_value=mw.p_value,
        statistic=mw.statistic,
        method=f"quantile_{q:g}_bootstrap_mann_whitney",
        n_before=mw.n_before,
        n_after=mw.n_after,
        alpha=alpha,
        extra={"se": float(np.std(boot, ddof=1)), "prob_superiority": mw.prob_superiority},
        se=float(np.std(boot, ddof=1)),
    )
