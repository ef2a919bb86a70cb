"""Difference of two shares of units that share customers, clustered by customer.

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
from rollout_metrics.stats.sufficient import CohortShare

__all__ = ["cohort_share_diff"]


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
    degenerate = essentially_constant(se, pb, pa)
    if degenerate:
        low = high = z = p = math.nan
    else:
        z = diff / se
        half = z_quantile(alpha) * se
        low, high, p = diff - half, diff + half, normal_p(z)
    return DiffResult(
        before=pb, after=pa, estimate=diff, ci_low=low, ci_high=high, p_value=p,
        statistic=z, method="cohort_share_clustered_wald", n_before=nb, n_after=na,
        alpha=alpha, extra={"se": se, "overlap": float(overlap)}, se=se,
        degenerate=degenerate,
    )
