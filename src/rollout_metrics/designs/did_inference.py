"""Inference for difference-in-differences when few units are treated.

Our units are segments (3 tiers, 4-8 regions) and usually one is treated. Cluster-robust
(CR1) standard errors need many treated and many control clusters: on no-effect panels they
rejected in 0.24-0.30 of panels with 1 treated of 3-4 units and about 0.5 with 1 of 10, and
with 2 units the CR1 variance is exactly 0 (both clusters' scores cancel). Three tests that
hold with one treated unit, each where it was calibrated (docs/methods.md), chosen by one
rule (:func:`choose_inference`):

1. ``wild_bootstrap`` - at least 5 treated and 5 control units: the restricted wild
   cluster bootstrap-t with Webb's six-point weights (Webb 2023; MacKinnon & Webb 2017,
   2018), the CR1 t statistic re-computed on bootstrap samples built from the residuals of
   the model with the null imposed, clustered by unit; the interval inverts the test (the
   values not rejected). Fixed effects are re-absorbed for every sample (the linear map
   per cluster of Roodman et al. 2019), so it costs one absorption per cluster. It needs no
   time-series model, so it is preferred whenever enough units are treated. Webb, M. D.
   (2023) *Canadian J. Economics* 56, 839-858; Roodman, D. et al. (2019) *Stata Journal*
   19, 4-60.
2. ``gap`` - fewer treated or control units, and at least 12 dates before and 12 after
   (42 before for the pre-trend): the information is in the time dimension. The
   treated-minus-control gap per date (weighted means within the date) is one series; the
   effect is its shift at the change date, with AR(1) errors and the bootstrap-t of
   :mod:`._ar_bootstrap`. Valid for any number of treated units, one of two included.
3. ``randomisation`` - otherwise: the estimate is recomputed for every assignment of the
   same number of treated units among the units (all of them, or 1,999 drawn at random when
   there are more than 2,000), and p is the share at least as far from 0 as the one
   observed. It cannot go below 1 / (number of assignments): with one treated unit among
   fewer than 20 it cannot reach 0.05, and the row says so (status
   ``cannot_reach_significance``, no p-value, no interval, never significant). Exact when
   the units are exchangeable (Conley & Taber 2011); unequal noise levels across units can
   make it reject too often (Ferman & Pinto 2019), which is why it is the last resort.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

from rollout_metrics.designs._ar_bootstrap import SeriesTest, ar1_bootstrap_t
from rollout_metrics.designs._common import MDE_POWER, FloatArray, Inference, is_degenerate
from rollout_metrics.designs._panel import Projector

__all__ = [
    "MIN_CLUSTERS",
    "MIN_GAP_POINTS",
    "MIN_TREND_POINTS",
    "GapSeries",
    "RowTest",
    "choose_inference",
    "combine_bonferroni",
    "gap_series",
    "gap_tests",
    "randomisation_test",
    "wild_cluster_test",
]

#: Treated and control units each needed for the wild cluster bootstrap.
MIN_CLUSTERS = 5
#: Dates of the gap series needed before and after the change for the gap test: on AR(1)
#: series with rho = 0.5 the bootstrap-t rejected a true mean shift in 0.075 of 16-point
#: series, 0.059 of 20 and 0.055 of 24 (benchmarks/its_coverage.py --ar1-series).
MIN_GAP_POINTS = 12
#: Dates before the change needed for the gap pre-trend test (a slope needs more): 0.080 of
#: 12-point series, 0.065 of 28 and 0.050 of 42 at rho = 0.5.
MIN_TREND_POINTS = 42
#: Assignments enumerated by the randomisation test (sampled above this).
MAX_ASSIGNMENTS = 2000

Regime = Literal["wild_bootstrap", "gap", "randomisation"]
METHOD_SUFFIX: Mapping[str, str] = {
    "wild_bootstrap": "wild_cluster_bootstrap",
    "gap": "gap_ar1_bootstrap",
    "randomisation": "randomisation",
}
_WEBB = np.array([-math.sqrt(1.5), -1.0, -math.sqrt(0.5), math.sqrt(0.5), 1.0, math.sqrt(1.5)])
_NAN = math.nan


def choose_inference(n_treated: int, n_control: int, n_before: int, n_after: int, *,
                     trend: bool = False) -> Regime:
    """The test used for a DiD row (module notes).

    ``n_before``/``n_after`` count the dates of the gap series (dates with both groups
    observed) on each side of the change; ``trend=True`` for the pre-trend row, which needs
    :data:`MIN_TREND_POINTS` dates before and none after.

    Examples
    --------
    >>> choose_inference(1, 2, 56, 56), choose_inference(5, 5, 14, 14)
    ('gap', 'wild_bootstrap')
    >>> choose_inference(1, 1, 2, 4), choose_inference(1, 3, 8, 8, trend=True)
    ('randomisation', 'randomisation')
    """
    if n_treated >= MIN_CLUSTERS and n_control >= MIN_CLUSTERS:
        return "wild_bootstrap"
    enough = n_before >= MIN_TREND_POINTS if trend else (
        n_before >= MIN_GAP_POINTS and n_after >= MIN_GAP_POINTS)
    return "gap" if enough else "randomisation"


@dataclass(frozen=True, slots=True)
class RowTest:
    """The inference of one DiD row: :class:`Inference` at ``alpha`` and the interval at any
    level (:attr:`interval`), with the row's status and what the test reports besides."""

    inference: Inference
    regime: str
    status: str = "ok"
    interval: Callable[[float], tuple[float, float]] = field(
        default=lambda level: (_NAN, _NAN))
    info: Mapping[str, Any] = field(default_factory=dict)

    @property
    def suffix(self) -> str:
        """The ``method`` suffix naming the test."""
        return METHOD_SUFFIX.get(self.regime, self.regime)


def _not_identified(regime: str, estimate: float = _NAN) -> RowTest:
    return RowTest(Inference(estimate, _NAN, _NAN, _NAN, _NAN, _NAN), regime, "not_identified")


def _invert(p_at: Callable[[float], float], estimate: float, step: float, level: float
            ) -> tuple[float, float]:
    """The values ``d`` around ``estimate`` whose test is not rejected (``p_at(d) >= level``):
    walk out in steps of ``step / 2`` (then growing), bisect at the first rejection; 0 is
    always tried when the walk crosses it, so a test that rejects 0 gives an interval
    without 0."""
    if not (math.isfinite(step) and step > 0 and math.isfinite(estimate)):
        return _NAN, _NAN
    bounds = []
    for sign in (-1.0, 1.0):
        inside, bound = estimate, sign * math.inf
        for k in range(1, 120):
            cand = estimate + sign * step * (0.5 * k if k <= 40 else 20.0 * 1.25 ** (k - 40))
            if sign * inside < 0 <= sign * cand and p_at(0.0) < level:
                cand = 0.0
            if p_at(cand) < level:
                out = cand
                for _ in range(80):
                    mid = 0.5 * (inside + out)
                    if p_at(mid) < level:
                        out = mid
                    else:
                        inside = mid
                    if abs(out - inside) <= 1e-7 * step:
                        break
                bound = inside
                break
            inside = cand
        bounds.append(bound)
    return bounds[0], bounds[1]


def wild_cluster_test(
    y: FloatArray, x: FloatArray, clusters: Any, project: Projector, *, alpha: float,
    n_resamples: int, rng: np.random.Generator, scale: float,
) -> RowTest:  # fmt: skip
    """Restricted wild cluster bootstrap-t (Webb weights) of the coefficient of ``x``.

    The estimate and its CR1 standard error are those of :func:`~._panel.cluster_fit`
    (weighted least squares of ``y`` on ``x`` and the nuisance terms of ``project``). Under
    ``H0: coefficient = d`` the restricted residuals ``u = M(y) - M(x) d`` are multiplied by
    one Webb weight per cluster; each bootstrap sample is re-projected and its CR1 t
    statistic computed. All of it is linear in the weights and in ``d``: per cluster, the
    scores of the re-projected ``u * 1_g`` (one projection per cluster) give every sample's
    t statistic from a clusters x clusters matrix. ``p = (1 + #{|t*| >= |t|}) / (B + 1)``;
    the interval is the set of ``d`` not rejected.
    """
    _, codes = np.unique(np.asarray(clusters, dtype=str), return_inverse=True)
    n_groups = int(codes.max()) + 1
    w = project.w
    both = project(np.column_stack([y, x]))
    yt, xt = both[:, 0], both[:, 1]
    denom = float(np.sum(xt * xt * w))
    if denom <= 1e-10 * float(np.sum(x * x * w)):
        return _not_identified("wild_bootstrap")
    est = float(np.sum(xt * w * yt) / denom)
    n, k = len(y), project.n_params + 1
    factor = n_groups / (n_groups - 1.0) * (n - 1.0) / (n - k)
    scores = np.bincount(codes, weights=xt * w * (yt - xt * est), minlength=n_groups)
    se = math.sqrt(factor * float(scores @ scores)) / denom
    if is_degenerate(se, max(abs(est), scale)):
        return RowTest(Inference(est, se, _NAN, _NAN, _NAN, _NAN, "degenerate"),
                       "wild_bootstrap", "degenerate")
    onehot = (codes[:, None] == np.arange(n_groups)[None, :]).astype(float)
    moved = project(np.column_stack([yt[:, None] * onehot, xt[:, None] * onehot]))
    xw = xt * w
    k_y, k_x = np.zeros((n_groups, n_groups)), np.zeros((n_groups, n_groups))
    np.add.at(k_y, codes, xw[:, None] * moved[:, :n_groups])
    np.add.at(k_x, codes, xw[:, None] * moved[:, n_groups:])
    s_y = np.bincount(codes, weights=xw * yt, minlength=n_groups)
    h = np.bincount(codes, weights=xw * xt, minlength=n_groups)
    v = rng.choice(_WEBB, size=(n_resamples, n_groups))

    def t_star(d: float) -> FloatArray:
        shift = v @ (s_y - d * h) / denom
        sc = v @ (k_y - d * k_x).T - shift[:, None] * h[None, :]
        return np.asarray(np.abs(shift) / (np.sqrt(factor * np.sum(sc * sc, axis=1)) / denom),
                          dtype=np.float64)

    def p_at(d: float) -> float:
        t_obs = abs(est - d) / se
        return float((1 + np.sum(t_star(d) >= t_obs * (1 - 1e-12))) / (n_resamples + 1))

    lo, hi = _invert(p_at, est, se, alpha)
    q = _critical(np.sort(t_star(0.0)), alpha)
    mde = (q + float(stats.t.ppf(MDE_POWER, n_groups - 1))) * se
    inf = Inference(est, se, lo, hi, p_at(0.0), mde)
    return RowTest(inf, "wild_bootstrap", interval=lambda level: _invert(p_at, est, se, level),
                   info={"cr1_se": se, "n_resamples": n_resamples, "weights": "webb",
                         "n_clusters": n_groups})


def _critical(sorted_t: FloatArray, level: float) -> float:
    b = len(sorted_t)
    rank = math.ceil(level * (b + 1) - 1e-9) - 1
    return float(sorted_t[b - rank]) if 1 <= rank <= b else math.inf


def assignments(units: Sequence[Any], treated: set[Any], rng: np.random.Generator
                ) -> tuple[NDArray[np.bool_], int]:
    """Treated-unit masks (assignments x units), the observed assignment first, and the
    number of possible assignments: all of them up to :data:`MAX_ASSIGNMENTS`, else the
    observed one and ``MAX_ASSIGNMENTS - 1`` drawn at random."""
    n_units, n_treated = len(units), len(treated)
    observed = np.array([u in treated for u in units])
    possible = math.comb(n_units, n_treated)
    if possible <= MAX_ASSIGNMENTS:
        listed = [observed]
        for combo in itertools.combinations(range(n_units), n_treated):
            mask = np.zeros(n_units, dtype=bool)
            mask[list(combo)] = True
            if not np.array_equal(mask, observed):
                listed.append(mask)
        return np.array(listed), possible
    drawn = np.argsort(rng.random((MAX_ASSIGNMENTS - 1, n_units)), axis=1)[:, :n_treated]
    sampled = np.zeros((MAX_ASSIGNMENTS, n_units), dtype=bool)
    sampled[0] = observed
    rows = np.arange(1, MAX_ASSIGNMENTS)[:, None]
    sampled[rows, drawn] = True
    return sampled, possible


def randomisation_test(estimates: FloatArray, of_effect: FloatArray, *, alpha: float,
                       possible: int) -> RowTest:
    """Randomisation test from the estimate under every assignment (observed first).

    ``estimates[a]`` is the estimator with assignment ``a`` on the data and ``of_effect[a]``
    the same estimator on the observed treatment indicator (a constant effect ``d`` moves
    estimate ``a`` by ``d * of_effect[a]``; ``of_effect[0] = 1``). ``p(d)`` is the share of
    assignments whose estimate on ``y - d * treatment`` is at least as far from 0 as the
    observed one. Its floor is 1 / (assignments); when that is not below ``alpha`` the row
    is ``cannot_reach_significance`` with no p-value or interval (``info`` keeps the
    randomisation p and its floor). The interval inverts the test; ``se`` is the standard
    deviation of the placebo estimates; there is no MDE.
    """
    keep = np.isfinite(estimates) & np.isfinite(of_effect)
    est = float(estimates[0])
    if not keep[0]:
        return _not_identified("randomisation")
    a_y, a_d = estimates[keep], of_effect[keep]
    count = len(a_y)

    def p_at(d: float) -> float:
        obs = abs(est - d)
        return float(np.mean(np.abs(a_y - d * a_d) >= obs * (1 - 1e-12)))

    floor = 1.0 / count
    info = {"n_assignments": count, "possible_assignments": possible, "p_floor": floor,
            "p_randomisation": p_at(0.0)}
    if floor >= alpha:
        return RowTest(Inference(est, _NAN, _NAN, _NAN, _NAN, _NAN), "randomisation",
                       "cannot_reach_significance", info=info)
    spread = float(np.std(a_y[1:])) if count > 2 else _NAN
    step = spread if spread > 0 else abs(est)

    def interval(level: float) -> tuple[float, float]:
        if floor >= level:
            return -math.inf, math.inf
        return _invert(p_at, est, step, level)

    lo, hi = interval(alpha)
    return RowTest(Inference(est, spread, lo, hi, p_at(0.0), _NAN), "randomisation",
                   interval=interval, info=info)


@dataclass(frozen=True, slots=True)
class GapSeries:
    """The treated-minus-control gap per date (see :func:`gap_series`). ``weight`` is the
    gap's precision, 1 / (1/W_treated + 1/W_control) with W the weights behind each mean;
    ``starts`` marks dates after a hole (a step longer than the usual one), where the AR
    errors restart."""

    date: NDArray[Any]
    gap: FloatArray
    weight: FloatArray
    day: FloatArray
    post: NDArray[np.bool_]
    starts: NDArray[np.bool_]

    def before(self) -> GapSeries:
        keep = ~self.post
        return GapSeries(self.date[keep], self.gap[keep], self.weight[keep], self.day[keep],
                         self.post[keep], self.starts[keep])


def gap_series(d: pd.DataFrame) -> GapSeries:
    """The gap series of a panel with ``unit, date, y, w, tr, post, t`` (``t`` in days).

    On each date with both groups observed: the weighted mean over the treated units of
    ``y`` minus the unit's own weighted mean before the change, the same over the controls,
    their difference, plus the difference of the groups' before means (so its level is the
    treated-minus-control gap). Taking out each unit's level keeps the gap free of changes in
    which units are observed (as the unit effects of a two-way regression do); in a balanced
    panel with equal weights it is the plain difference of the group means. Units never
    observed before the change are left out.
    """
    pre = d[d["post"] == 0]
    level = (pre["y"] * pre["w"]).groupby(pre["unit"]).sum() / pre["w"].groupby(
        pre["unit"]).sum()
    known = d[d["unit"].isin(level.index)]
    centred = known["y"] - known["unit"].map(level)
    g = known.assign(yw=centred * known["w"]).groupby(["date", "tr"]).agg(
        yw=("yw", "sum"), w=("w", "sum"), t=("t", "first"), post=("post", "first"))
    wide = g.unstack("tr").dropna()
    shift = 0.0
    if len(wide) and {0, 1} <= set(pre["tr"]):
        by_group = (pre["y"] * pre["w"]).groupby(pre["tr"]).sum() / pre["w"].groupby(
            pre["tr"]).sum()
        shift = float(by_group[1] - by_group[0])
    cols = {c for c in wide.columns.get_level_values(1)}
    if cols != {0, 1}:
        empty = np.zeros(0)
        return GapSeries(np.array([]), empty, empty, empty, np.zeros(0, dtype=bool),
                         np.zeros(0, dtype=bool))
    treated = wide[("yw", 1)] / wide[("w", 1)]
    control = wide[("yw", 0)] / wide[("w", 0)]
    weight = 1.0 / (1.0 / wide[("w", 1)] + 1.0 / wide[("w", 0)])
    day = wide[("t", 1)].to_numpy(dtype=float)
    steps = np.diff(day)
    usual = float(pd.Series(steps).mode().min()) if len(steps) else 1.0
    starts = np.r_[True, steps > usual * (1 + 1e-9)]
    return GapSeries(wide.index.to_numpy(), (treated - control).to_numpy(dtype=float) + shift,
                     weight.to_numpy(dtype=float), day,
                     wide[("post", 1)].to_numpy().astype(bool), starts)


def _row_test(test: SeriesTest) -> RowTest:
    inf = test.inference
    return RowTest(inf, "gap", inf.status, interval=test.interval,
                   info={"rho": test.rho, "n_resamples": len(test.t_star)})


def gap_tests(gs: GapSeries, *, alpha: float, n_resamples: int, rng: np.random.Generator,
              scale: float) -> tuple[RowTest, RowTest]:
    """The shift of the gap at the change date: the difference of its (precision-weighted)
    period means, an OLS contrast, and the feasible GLS estimate of the shift, both with AR(1)
    errors and bootstrap-t inference (:func:`~._ar_bootstrap.ar1_bootstrap_t`)."""
    sw = np.sqrt(gs.weight / gs.weight.mean())
    post = gs.post.astype(float)
    x = sw[:, None] * np.column_stack([np.ones(len(post)), post])
    v = gs.weight
    contrast = np.where(gs.post, v / v[gs.post].sum(), -v / v[~gs.post].sum()) / sw
    kw: dict[str, Any] = {"alpha": alpha, "n_resamples": n_resamples, "rng": rng,
                          "scale": scale, "starts": gs.starts}
    means = ar1_bootstrap_t(sw * gs.gap, x, 1, contrast=contrast, **kw)
    gls = ar1_bootstrap_t(sw * gs.gap, x, 1, **kw)
    return _row_test(means), _row_test(gls)


def gap_trend_test(gs: GapSeries, *, alpha: float, n_resamples: int, rng: np.random.Generator,
                   scale: float) -> RowTest:
    """The slope of the gap per day over the dates before the change (feasible GLS, AR(1)
    errors, bootstrap-t): a pre-trend test that needs no unit-level inference."""
    pre = gs.before()
    sw = np.sqrt(pre.weight / pre.weight.mean())
    x = sw[:, None] * np.column_stack([np.ones(len(pre.day)), pre.day - pre.day.mean()])
    test = ar1_bootstrap_t(sw * pre.gap, x, 1, alpha=alpha, n_resamples=n_resamples, rng=rng,
                           scale=scale, starts=pre.starts)
    return _row_test(test)


def _excludes_zero(bounds: tuple[float, float]) -> bool:
    return bounds[0] > 0 or bounds[1] < 0


def _smallest_level(rejects: Callable[[float], bool]) -> float:
    """The smallest level in [1e-6, 1] at which ``rejects`` holds (intervals narrow as the
    level grows), by bisection on the log scale; 1 when it never does."""
    lo, hi = 1e-6, 1.0
    if not rejects(hi):
        return 1.0
    if rejects(lo):
        return lo
    for _ in range(40):
        mid = math.sqrt(lo * hi)
        if rejects(mid):
            hi = mid
        else:
            lo = mid
    return hi


def combine_bonferroni(tests: Sequence[RowTest], weights: FloatArray, *, alpha: float
                       ) -> RowTest:
    """A weighted sum of estimates from tests that may be dependent (cohorts sharing control
    units): the interval is the weighted sum of the tests' intervals at level ``alpha / K``
    (Bonferroni), which covers the weighted sum of the effects with probability at least
    ``1 - alpha`` whatever the dependence; p is the smallest level at which that interval
    excludes 0. Conservative. Infinite intervals (a randomisation test that cannot reach
    ``alpha / K``) make the row ``cannot_reach_significance``."""
    k = len(tests)
    est = float(np.sum(weights * [t.inference.estimate for t in tests]))
    untested = [t.status for t in tests
                if t.status in ("insufficient_data", "not_identified", "degenerate")]
    if untested:
        return RowTest(Inference(est, _NAN, _NAN, _NAN, _NAN, _NAN), "bonferroni", untested[0])

    def interval(level: float) -> tuple[float, float]:
        parts = [t.interval(level / k) for t in tests]
        return (float(np.sum(weights * [p[0] for p in parts])),
                float(np.sum(weights * [p[1] for p in parts])))

    lo, hi = interval(alpha)
    regimes = sorted({t.regime for t in tests})
    info = {"cohort_tests": regimes, "n_cohorts": k}
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return RowTest(Inference(est, _NAN, _NAN, _NAN, _NAN, _NAN), "bonferroni",
                       "cannot_reach_significance", info=info)
    p = _smallest_level(lambda level: _excludes_zero(interval(level)))
    return RowTest(Inference(est, _NAN, lo, hi, p, _NAN), "bonferroni", interval=interval,
                   info=info)
