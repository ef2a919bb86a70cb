"""Difference of two shares (or ratios of sums) of units that share customers, clustered by
customer.

The customers active when one period starts and those active when the next starts are mostly
the same people, so the two shares are not independent samples.  With ``x`` a customer's
0/1 outcome in a period and ``c`` the indicator of the period's cohort, the shares are
``p = Σ c x / Σ c`` and their difference ``d = p_a - p_b`` has the linearised (cluster-robust,
HC0) variance ``Σ_i u_i²`` over customers, ``u_i = c_ai (x_ai - p_a) / n_a - c_bi (x_bi - p_b)
/ n_b``: each customer is one cluster, whether in one cohort or both.  With several units per
customer (tickets; ``n`` and ``r`` a customer's units and those that count in a period) the
shares are ratios of sums and ``u_i = (r_ai - p_a n_ai) / N_a - (r_bi - p_b n_bi) / N_b``, the
delta-method variance of a ratio estimator clustered by customer.  It equals the variance
of the difference of means in an OLS of the stacked (customer, period) outcomes on a period
indicator with standard errors clustered by customer (R ``sandwich::vcovCL(type = "HC0",
cadjust = FALSE)``, ``tests/r/contact_share.R``).  Without overlap it is the unpooled Wald
variance; with full overlap, the paired (McNemar) one.

Revenue metrics are ratios of sums of any per-customer values (revenue over orders, or over
active days): :func:`ratio_of_sums_diff` takes the same linearised variance from the sums of
products of the per-customer values (:class:`~rollout_metrics.stats.sufficient.RatioOfSums`),
``Σ u_i² = S_aa / N_a² + S_bb / N_b² - 2 S_ab / (N_a N_b)`` with ``S_ab = Σ (y_ai - R_a n_ai)
(y_bi - R_b n_bi)`` expanded into those sums.  R: the same clustered OLS on ``y/n`` weighted
by ``n`` (``tests/r/average_check.R``).

Examples
--------
>>> from rollout_metrics.stats.sufficient import CohortShare
>>> cells = (((1, 1, 1, 1), 300), ((1, 1, 1, 0), 100), ((1, 0, 1, 1), 150),
...          ((1, 0, 1, 0), 400), ((1, 0, 0, 0), 50), ((0, 0, 1, 1), 60))
>>> b = CohortShare("before", ("before", "after"), cells)
>>> r = cohort_share_diff(b, b.at("after"))  # case CS-1 of tests/r/contact_share.R
>>> round(r.before, 4), round(r.after, 4), round(r.estimate, 4)
(0.4, 0.505, 0.105)
>>> round(r.ci_low, 4), round(r.ci_high, 4), r.p_value < 1e-6
(0.0728, 0.1371, True)
"""

from __future__ import annotations

import math

from rollout_metrics.errors import DataValidationError
from rollout_metrics.infer.results import DiffResult
from rollout_metrics.infer.two_sample import check_alpha, essentially_constant, normal_p, z_quantile
from rollout_metrics.stats.sufficient import CohortShare, RatioOfSums

__all__ = ["cohort_share_diff", "cross_moment", "ratio_of_sums_diff"]


def cohort_share_diff(before: CohortShare, after: CohortShare, *, alpha: float = 0.05
                      ) -> DiffResult:
    """``after.share - before.share`` with a Wald interval and z test from the customer-
    clustered variance (module docstring).

    ``before`` and ``after`` must be cells of the same customers (same ``patterns``).  A
    period without units raises; a variance of 0 (0% or 100% in both periods) is
    ``degenerate``: no p-value and no interval.  ``extra`` holds ``overlap``, the customers
    with units in both periods.
    """
    alpha = check_alpha(alpha)
    if before.patterns != after.patterns or before.periods != after.periods:
        raise DataValidationError("cohort_share_diff needs two cells of the same customers")
    nb, na = before.n, after.n
    if nb == 0 or na == 0:
        raise DataValidationError(f"a period without units: {nb} before, {na} after")
    pb, pa = before.share, after.share
    ib, jb = 2 * before.periods.index(before.period), 2 * before.periods.index(before.period) + 1
    ia, ja = 2 * after.periods.index(after.period), 2 * after.periods.index(after.period) + 1
    var = 0.0
    overlap = 0
    for counts, customers in before.patterns:
        u = (counts[ja] - pa * counts[ia]) / na - (counts[jb] - pb * counts[ib]) / nb
        if counts[ia] and counts[ib]:
            overlap += customers
        var += customers * u * u
    se = math.sqrt(var)
    diff = pa - pb
    degenerate, low, high, z, p = _wald(diff, se, pb, pa, alpha)
    return DiffResult(
        before=pb, after=pa, estimate=diff, ci_low=low, ci_high=high, p_value=p,
        statistic=z, method="cohort_share_clustered_wald", n_before=nb, n_after=na,
        alpha=alpha, extra={"se": se, "overlap": float(overlap)}, se=se,
        degenerate=degenerate,
    )


def _wald(diff: float, se: float, before: float, after: float, alpha: float
          ) -> tuple[bool, float, float, float, float]:
    """``(degenerate, ci_low, ci_high, z, p)`` of a Wald test of ``diff``; a standard error
    at rounding level is ``degenerate`` and gives no interval and no p-value."""
    if essentially_constant(se, before, after):
        return True, math.nan, math.nan, math.nan, math.nan
    half = z_quantile(alpha) * se
    return False, diff - half, diff + half, diff / se, normal_p(diff / se)


def cross_moment(s: RatioOfSums, a: str, b: str, ra: float, rb: float) -> float:
    """``Σ (y_a - ra n_a)(y_b - rb n_b)`` over customers from the sums of products."""
    ya, na, yb, nb = f"y_{a}", f"n_{a}", f"y_{b}", f"n_{b}"
    return (s.product(ya, yb) - rb * s.product(ya, nb) - ra * s.product(na, yb)
            + ra * rb * s.product(na, nb))


def ratio_of_sums_diff(before: RatioOfSums, after: RatioOfSums, *, alpha: float = 0.05
                       ) -> DiffResult:
    """``after.ratio - before.ratio`` with a Wald interval and z test from the delta-method
    variance clustered by customer (module docstring).

    A period without units raises; a variance at rounding level is ``degenerate``: no
    p-value and no interval.  ``extra`` holds ``se``.

    Examples
    --------
    >>> from rollout_metrics.stats.sufficient import RatioOfSums
    >>> m = {"y_before": 300.0, "n_before": 6.0, "y_after": 350.0, "n_after": 5.0,
    ...      "y_before*y_before": 25000.0, "y_before*n_before": 480.0,
    ...      "n_before*n_before": 10.0, "y_after*y_after": 32000.0,
    ...      "y_after*n_after": 450.0, "n_after*n_after": 7.0, "y_before*y_after": 0.0,
    ...      "y_before*n_after": 0.0, "n_before*y_after": 0.0, "n_before*n_after": 0.0}
    >>> b = RatioOfSums("before", ("before", "after"), tuple(m.items()),
    ...                 (("before", 4), ("after", 3)))
    >>> r = ratio_of_sums_diff(b, b.at("after"))
    >>> r.before, r.after, r.method
    (50.0, 70.0, 'ratio_of_sums_clustered_wald')
    """
    alpha = check_alpha(alpha)
    if before.periods != after.periods:
        raise DataValidationError("ratio_of_sums_diff needs two cells of the same customers")
    nb, na = before.units, after.units
    if nb <= 0 or na <= 0:
        raise DataValidationError(f"a period without units: {nb:g} before, {na:g} after")
    rb, ra = before.ratio, after.ratio
    pb, pa = before.period, after.period
    var = (cross_moment(before, pa, pa, ra, ra) / na**2
           + cross_moment(before, pb, pb, rb, rb) / nb**2
           - 2.0 * cross_moment(before, pa, pb, ra, rb) / (na * nb))
    se = math.sqrt(max(var, 0.0))
    diff = ra - rb
    degenerate, low, high, z, p = _wald(diff, se, rb, ra, alpha)
    return DiffResult(
        before=rb, after=ra, estimate=diff, ci_low=low, ci_high=high, p_value=p,
        statistic=z, method="ratio_of_sums_clustered_wald", n_before=before.n,
        n_after=after.n, alpha=alpha, extra={"se": se}, se=se, degenerate=degenerate,
    )
