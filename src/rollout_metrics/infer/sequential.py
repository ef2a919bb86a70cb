"""Group-sequential inference for a known schedule of looks (Lan–DeMets alpha spending).

A scheduled run (cron) looks at the after window again and again as it fills.  Testing each
look at the fixed-horizon 5% level raises the chance of at least one false alarm over the
looks far above 5%.  With the number and timing of the looks known, a group-sequential
design spends the error rate ``alpha`` over the looks instead:

* **Spending function** (Lan & DeMets 1983): the share of a one-sided ``α`` used up by
  information fraction ``t``; a two-sided test spends ``α/2`` on each side, as gsDesign and
  rpact do.  ``"obrien_fleming"`` (the default), ``α(t) = 2 − 2Φ(z_{1−α/2}/√t)``, spends
  almost nothing early (a first weekly look needs |z| > 5) and keeps the last look close to
  the fixed-horizon test, the right shape for a guardrail that should not fire on a few noisy
  days; ``"pocock"``, ``α(t) = α·ln(1 + (e − 1)t)``, spends evenly: earlier alarms, a wider
  interval at the end.
* **Boundaries** ``c_k`` (on the z scale) solve P(first crossing at look k) = α(t_k) −
  α(t_{k−1}) under no effect, by recursive numerical integration of the score's density over
  the continuation region (Armitage, McPherson & Rowe 1969; Jennison & Turnbull 2000,
  ch. 19), Simpson's rule on a grid finer than the narrowest increment.  This is exact to
  about 1e-6 for any number of looks, where a multivariate-normal probability (Genz's
  quasi-Monte Carlo in scipy) is random and slow for the 56 looks of a daily schedule.
* **Repeated confidence interval** at look k (Jennison & Turnbull 1989): ``estimate ±
  c_k·se``; it excludes 0 exactly when |z_k| ≥ c_k, and all of them cover the true value
  jointly with probability ≥ 1 − α.  The **repeated p-value** is the smallest level at which
  the look's interval excludes 0 (Jennison & Turnbull 2000, §9.1).

**Information fraction.**  A rollout compares a fixed before window with an after window that
grows.  The difference's variance is ``v_b + v_a(t)``; the covariance of the estimates at two
looks equals the later look's variance, so the z-statistics have the canonical joint
distribution with information ``1/var``: with ``r`` = the before sample over the planned
after sample (``pre_days / post_days`` at a steady arrival rate) the information fraction at
elapsed share ``t`` of the after window is ``t(1 + r)/(t + r)`` (:func:`information_fraction`),
not ``t``: a first weekly look of an 8-week after window beside an 8-week before window holds
2/9 of the final information, not 1/8.  Using ``t`` would mis-state the correlation between
looks (conservative: about 4% false alarms instead of 5% in ``benchmarks/sequential.py``).

**Unplanned looks.**  Alpha spending needs the looks' timing fixed in advance.  When a look is
not one the schedule planned, ``sequential_table(..., method="confidence_sequence")`` uses
the always-valid normal-mixture confidence sequence of
:mod:`rollout_metrics.infer.always_valid` instead (valid whenever and however often one
looks; wider).

Examples
--------
>>> d = design([0.25, 0.5, 0.75, 1.0], alpha=0.05, spending="obrien_fleming")
>>> [round(c, 3) for c in d.bounds]
[4.333, 2.963, 2.359, 2.014]
>>> round(float(repeated_pvalue(2.5, [0.25, 0.5, 0.75, 1.0])), 4)
0.0135
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import interpolate, optimize, special, stats

from rollout_metrics.errors import DataValidationError
from rollout_metrics.infer.always_valid import cs_pvalue, cs_radius, mixture_variance

__all__ = [
    "GROWING",
    "METHODS",
    "SEQUENTIAL_COLUMNS",
    "SPENDING",
    "Design",
    "constant_boundary",
    "crossing_probabilities",
    "design",
    "equivalent_se",
    "equivalent_z",
    "information_fraction",
    "margin_limit",
    "repeated_pvalue",
    "sequential_table",
    "spend",
]

Spending = Literal["obrien_fleming", "pocock"]
#: The spending functions: Lan–DeMets O'Brien–Fleming-type and Pocock-type.
SPENDING: tuple[str, ...] = ("obrien_fleming", "pocock")
#: Grid points per standard deviation of the narrowest increment (Simpson's rule).
_PER_SD = 8
#: The continuation region is cut at this many standard deviations of the score.
_TAIL = 8.0
#: A one-sided region is cut below at this many standard deviations (mass beyond: 1e-9).
_LOW = 6.0
#: Levels at which :func:`repeated_pvalue` computes the last boundary.
_LEVELS = 41


def spend(t: ArrayLike, alpha: float = 0.05, spending: str = "obrien_fleming"
          ) -> NDArray[np.float64]:
    """The one-sided error rate spent by information fraction ``t`` (0 at 0, ``alpha`` at 1).

    >>> spend([0.5, 1.0], 0.05, "pocock").round(5).tolist()
    [0.03101, 0.05]
    """
    _check_spending(spending)
    x = np.clip(np.asarray(t, dtype=float), 0.0, 1.0)
    if spending == "pocock":
        return np.asarray(alpha * np.log1p((math.e - 1.0) * x), dtype=float)
    with np.errstate(divide="ignore"):
        z = stats.norm.isf(alpha / 2.0) / np.sqrt(x)
    return np.asarray(2.0 * stats.norm.sf(z), dtype=float)


def information_fraction(elapsed: ArrayLike, ratio: float = 1.0) -> NDArray[np.float64]:
    """Information fraction of a difference whose before sample is fixed.

    ``elapsed``: the share of the after window observed (0-1]; ``ratio``: the before sample
    over the planned after sample (``pre_days / post_days`` when both fill at one rate).
    ``ratio = 0`` (a before sample without variance) gives ``elapsed`` itself.

    >>> information_fraction([0.125, 0.5, 1.0]).round(4).tolist()
    [0.2222, 0.6667, 1.0]
    """
    t = np.clip(np.asarray(elapsed, dtype=float), 0.0, 1.0)
    if ratio < 0 or not math.isfinite(ratio):
        raise DataValidationError(f"ratio must be >= 0, got {ratio}")
    return np.asarray(t * (1.0 + ratio) / (t + ratio), dtype=float) if ratio else t


def _check_spending(spending: str) -> None:
    if spending not in SPENDING:
        raise DataValidationError(
            f"unknown spending function {spending!r}; choose one of {', '.join(SPENDING)}")


def _check_times(times: Sequence[float] | ArrayLike) -> NDArray[np.float64]:
    t = np.asarray(times, dtype=float).ravel()
    if t.size == 0 or not np.all(np.isfinite(t)) or t[0] <= 0 or np.any(np.diff(t) <= 0):
        raise DataValidationError(
            f"information fractions must be increasing and > 0, got {t.tolist()}")
    return t


def _simpson(lo: float, hi: float, h: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    n = max(2, math.ceil((hi - lo) / h))
    n += n % 2
    x = np.linspace(lo, hi, n + 1)
    w = np.full(n + 1, 2.0)
    w[1::2] = 4.0
    w[0] = w[-1] = 1.0
    return x, w * (hi - lo) / (3.0 * n)


class _Walk:
    """The sub-density of the score S_k = Z_k·√t_k on the continuation region, look by look.

    Under no effect the increments S_k − S_{k−1} are N(0, t_k − t_{k−1}) and independent.
    ``cross(t, c)`` is the probability of reaching look ``t`` and stopping there with
    boundary ``c`` (|Z| ≥ c two-sided, Z ≥ c one-sided); ``advance(t, c)`` moves on.
    """

    def __init__(self, times: NDArray[np.float64], sides: int) -> None:
        self.sides = sides
        steps = np.diff(np.concatenate([[0.0], times]))
        self.h = math.sqrt(float(steps.min())) / _PER_SD
        self.t = 0.0
        self.x: NDArray[np.float64] | None = None
        self.wf: NDArray[np.float64] | None = None  # weights × density on the grid

    def cross(self, t: float, c: float) -> float:
        b = c * math.sqrt(t)
        if self.x is None:
            up = float(stats.norm.sf(c))
            return 2.0 * up if self.sides == 2 else up
        sd = math.sqrt(t - self.t)
        assert self.wf is not None
        p = special.ndtr((self.x - b) / sd)
        if self.sides == 2:
            p = p + special.ndtr((-b - self.x) / sd)
        return float(self.wf @ p)

    def advance(self, t: float, c: float) -> None:
        root = math.sqrt(t)
        hi = min(c, _TAIL) * root
        lo = -hi if self.sides == 2 else -_LOW * root
        x, w = _simpson(lo, hi, self.h)
        if self.x is None:
            f = stats.norm.pdf(x / root) / root
        else:
            sd = math.sqrt(t - self.t)
            assert self.wf is not None
            u = (x[None, :] - self.x[:, None]) / sd
            f = self.wf @ np.exp(-0.5 * u * u) / (sd * math.sqrt(2.0 * math.pi))
        self.t, self.x, self.wf = t, x, w * f


@dataclass(frozen=True)
class Design:
    """Boundaries of a group-sequential test.

    ``times``: information fractions of the looks; ``bounds``: the z-value each look's
    statistic must reach (|z| ≥ c two-sided, z ≥ c one-sided; ``inf`` where nothing is
    spent); ``spent``: cumulative error spent at each look.
    """

    times: tuple[float, ...]
    bounds: tuple[float, ...]
    spent: tuple[float, ...]
    alpha: float
    spending: str
    sides: int


def design(times: Sequence[float] | ArrayLike, alpha: float = 0.05,
           spending: str = "obrien_fleming", sides: int = 2) -> Design:
    """Lan–DeMets boundaries for looks at information fractions ``times``.

    ``sides=2``: a two-sided test spending ``alpha`` in total (half on each side); ``sides=1``:
    the upper side only, spending ``alpha``.  A look beyond the final information (``t > 1``)
    spends nothing more: pass fractions capped at 1 by :func:`information_fraction`.
    """
    _check_spending(spending)
    if sides not in (1, 2):
        raise DataValidationError(f"sides must be 1 or 2, got {sides}")
    if not 0 < alpha < 1:
        raise DataValidationError(f"alpha must be in (0, 1), got {alpha}")
    t = _check_times(times)
    # Two-sided: alpha/2 spent on each side (gsDesign, rpact, ldbounds do the same).
    cum = sides * spend(t, alpha / sides, spending)
    walk = _Walk(t, sides)
    bounds: list[float] = []
    before = 0.0
    for tk, ck in zip(t, cum, strict=True):
        target = float(ck) - before
        if target <= 1e-15:
            c = math.inf
        else:
            hi = 40.0
            f_lo = walk.cross(float(tk), 0.0) - target
            if f_lo <= 0:  # everything left is spent: stop at any value
                c = 0.0
            else:
                c = optimize.brentq(lambda c_, t_=float(tk), a_=target: walk.cross(t_, c_) - a_,
                                    0.0, hi, xtol=1e-10)
        bounds.append(c)
        walk.advance(float(tk), c)
        before = float(ck)
    return Design(tuple(t.tolist()), tuple(bounds), tuple(cum.tolist()), alpha, spending,
                  sides)


def crossing_probabilities(bounds: Sequence[float] | ArrayLike, times: Sequence[float] | ArrayLike,
                           sides: int = 2) -> NDArray[np.float64]:
    """P(first crossing at each look) under no effect, for given z-boundaries."""
    t = _check_times(times)
    if np.asarray(bounds).size != t.size:
        raise DataValidationError("one boundary per look is needed")
    walk = _Walk(t, sides)
    out = []
    for tk, c in zip(t, np.asarray(bounds, dtype=float), strict=True):
        out.append(walk.cross(float(tk), float(c)))
        walk.advance(float(tk), float(c))
    return np.asarray(out)


def constant_boundary(k: int, alpha: float = 0.05, shape: str = "pocock",
                      sides: int = 2) -> float:
    """The classical constant ``C`` of ``k`` equally spaced looks (not spending-based):
    Pocock (1977), ``|Z_j| ≥ C``; O'Brien & Fleming (1979), ``|Z_j| ≥ C·√(k/j)``.  Used to
    check the integration against the published tables (Jennison & Turnbull 2000, Tables 2.1
    and 2.3)."""
    t = np.arange(1, k + 1) / k
    scale = np.ones(k) if shape == "pocock" else 1.0 / np.sqrt(t)

    def excess(c: float) -> float:
        return float(crossing_probabilities(c * scale, t, sides).sum()) - alpha

    return float(optimize.brentq(excess, 1.0, 10.0, xtol=1e-10))


@functools.lru_cache(maxsize=64)
def _last_bounds(times: tuple[float, ...], spending: str, sides: int
                 ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    levels = np.geomspace(1e-8, 0.99, _LEVELS)
    last = np.array([design(times, a, spending, sides).bounds[-1] for a in levels])
    # an early look may spend nothing at the smallest levels (an infinite boundary)
    keep = np.isfinite(last) & (last < _TAIL)
    return np.log(levels[keep]), last[keep]


def repeated_pvalue(z: ArrayLike, times: Sequence[float] | ArrayLike,
                    spending: str = "obrien_fleming", sides: int = 2,
                    alpha: float | None = None) -> NDArray[np.float64]:
    """Repeated p-values at the last of ``times``: the smallest level at which the look's
    repeated confidence interval excludes 0 (two-sided: from |z|; one-sided: from z).

    The last look's boundary falls smoothly and monotonically with the level: it is computed
    at 41 levels (log-spaced, 1e-8 to 0.99) and log(level) is interpolated in it (monotone
    cubic; error about 1e-4 of p).  With ``alpha`` given, the p-value agrees exactly with the
    boundary at that level: ``p <= alpha`` if and only if ``|z| >= design(times,
    alpha).bounds[-1]``.
    """
    t = tuple(_check_times(times).tolist())
    stat = np.asarray(z, dtype=float)
    stat = np.abs(stat) if sides == 2 else stat
    log_levels, last = _last_bounds(t, spending, sides)
    # interpolate log(level) as a function of the boundary (increasing order)
    curve = interpolate.PchipInterpolator(last[::-1], log_levels[::-1])
    inside = np.clip(stat, last[-1], last[0])
    with np.errstate(invalid="ignore"):
        p = np.exp(curve(inside))
    p = np.where(stat >= last[0], np.exp(log_levels[0]), p)
    p = np.where(stat <= last[-1], 1.0, p)
    if alpha is not None:
        c = design(t, alpha, spending, sides).bounds[-1]
        p = np.where(stat >= c, np.minimum(p, alpha), np.maximum(p, np.nextafter(alpha, 1)))
    p = np.where(np.isnan(stat), np.nan, p)
    return np.asarray(p, dtype=float)


#: Columns :func:`sequential_table` adds to compare's rows.
SEQUENTIAL_COLUMNS = ["information", "seq_method", "seq_z", "seq_se", "seq_bound",
                      "seq_ci_low", "seq_ci_high", "seq_p_value", "seq_p_adjusted",
                      "seq_significant"]
#: ``seq_method`` of a row: alpha spending over planned looks, the always-valid confidence
#: sequence (unplanned looks), or the fixed-horizon test (a window that does not grow).
METHODS = ("group_sequential", "confidence_sequence", "fixed_horizon")
#: The comparison whose after window grows from look to look.
GROWING = "after_vs_before"


def equivalent_z(delta: ArrayLike, p_value: ArrayLike) -> NDArray[np.float64]:
    """The z-value of a two-sided p-value, signed as ``delta``: ``sign(δ)·Φ⁻¹(1 − p/2)``.

    For the Wald and z tests of ``compare`` this is δ/se itself; for the others (Welch's t,
    the exact Poisson test, the bootstrap quantile test, the quasi-Poisson model) it is the
    normal deviate with the same two-sided p-value, the usual way to combine a test that is
    not z-based with a normal-theory boundary.
    """
    d = np.asarray(delta, dtype=float)
    p = np.asarray(p_value, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.asarray(np.sign(d) * stats.norm.isf(np.clip(p, 0.0, 1.0) / 2.0), dtype=float)


def equivalent_se(delta: ArrayLike, z: ArrayLike, ci_low: ArrayLike, ci_high: ArrayLike,
                  alpha: float) -> NDArray[np.float64]:
    """The standard error behind a row: |δ|/|z| (so that the interval δ ± c·se excludes 0
    exactly when |z| ≥ c); where that is undefined (δ = 0, p = 0 or p = 1), the half-width of
    the row's fixed-horizon interval over z_{1−α/2}."""
    d, zz = np.asarray(delta, dtype=float), np.asarray(z, dtype=float)
    half = (np.asarray(ci_high, dtype=float) - np.asarray(ci_low, dtype=float)) / 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.abs(d) / np.abs(zz)
    fallback = half / stats.norm.isf(alpha / 2.0)
    ok = np.isfinite(se) & (se > 0)
    return np.asarray(np.where(ok, se, fallback), dtype=float)


def sequential_table(results: pd.DataFrame, elapsed: Sequence[float], *, alpha: float = 0.05,
                     spending: str = "obrien_fleming", correction: str = "fdr_bh",
                     ratio: float = 1.0, method: str = "group_sequential") -> pd.DataFrame:
    """compare's rows with the group-sequential inference of the last of ``elapsed`` looks.

    ``elapsed``: the share of the after window observed at each look taken so far, the
    current one last (looks missed are simply absent: the spending function only needs the
    looks that happened); ``ratio``: the before sample over the planned after sample (see
    :func:`information_fraction`).  Adds :data:`SEQUENTIAL_COLUMNS`:

    * ``information``: the information fraction of the look;
    * ``seq_z``: the row's z (:func:`equivalent_z`), ``seq_se`` its standard error
      (:func:`equivalent_se`), ``seq_bound`` the look's two-sided boundary at ``alpha``;
    * ``seq_ci_low``/``seq_ci_high``: the repeated confidence interval ``delta ± bound·se``;
    * ``seq_p_value``: the repeated p-value; ``seq_p_adjusted``: adjusted across the tested
      rows by ``correction``, as compare adjusts its fixed-horizon p-values;
      ``seq_significant``: ``seq_p_adjusted < alpha`` (so never beside an interval that
      contains 0).

    * ``seq_method``: ``group_sequential``, or ``confidence_sequence`` with
      ``method="confidence_sequence"`` (looks that were not planned: the interval is
      ``delta ± r`` with the always-valid radius ``r`` of
      :func:`rollout_metrics.infer.always_valid.cs_radius`, ``seq_bound = r/se``, and the
      p-value the always-valid one), ``fixed_horizon`` for rows that do not grow.

    Rows of another comparison (``transition_vs_before``: windows complete before the change)
    do not grow between looks: their sequential columns repeat the fixed-horizon ones.

    How the two corrections compose: each row's boundary holds its own error over the looks
    at ``alpha``; the family correction across rows is then applied to the repeated p-values
    at each look.  With ``correction="holm"`` or ``"none"`` and Bonferroni-level ``alpha/m``
    this bounds the family-wise error over rows and looks; Benjamini–Hochberg on repeated
    p-values is the usual practical choice (false discovery rate at each look).
    """
    from rollout_metrics.infer.multiple import adjust_pvalues

    shares = np.asarray(elapsed, dtype=float)
    times = information_fraction(shares, ratio)
    frame = results.copy()
    grow = (frame["comparison"] == GROWING).to_numpy()
    p = frame["p_value"].to_numpy(float)
    delta = frame["delta"].to_numpy(float)
    z = equivalent_z(delta, p)
    se = equivalent_se(delta, z, frame["ci_low"], frame["ci_high"], alpha)
    if method == "confidence_sequence":
        tau2 = mixture_variance(se, times[-1], alpha)
        with np.errstate(divide="ignore", invalid="ignore"):
            c = cs_radius(se, tau2, alpha) / se
        grown_p = np.minimum(cs_pvalue(delta, se, tau2), 1.0)
    elif method == "group_sequential":
        c = np.full(len(frame), design(times, alpha, spending).bounds[-1])
        grown_p = repeated_pvalue(z, times, spending, alpha=alpha)
    else:
        raise DataValidationError(f"unknown method {method!r}; choose group_sequential or "
                                  "confidence_sequence")
    seq_p = np.where(grow, grown_p, p)
    low = np.where(grow, delta - c * se, frame["ci_low"].to_numpy(float))
    high = np.where(grow, delta + c * se, frame["ci_high"].to_numpy(float))
    frame["information"] = np.where(grow, times[-1], 1.0)
    frame["seq_method"] = np.where(grow, method, "fixed_horizon")
    frame["seq_z"] = z
    frame["seq_se"] = se
    frame["seq_bound"] = np.where(grow, c, stats.norm.isf(alpha / 2.0))
    frame["seq_ci_low"] = low
    frame["seq_ci_high"] = high
    frame["seq_p_value"] = seq_p
    adjusted = adjust_pvalues(seq_p, correction)
    frame["seq_p_adjusted"] = adjusted
    tested = ~np.isnan(adjusted)
    excludes = (low > 0) | (high < 0)
    sig = pd.array(np.where(tested, (adjusted < alpha) & excludes, False), dtype="boolean")
    sig[~tested] = pd.NA
    frame["seq_significant"] = sig
    return frame


def margin_limit(delta: ArrayLike, se: ArrayLike, upper: bool, times: Sequence[float],
                 alpha: float, spending: str = "obrien_fleming", *,
                 method: str = "group_sequential", tau2: ArrayLike | None = None
                 ) -> NDArray[np.float64]:
    """The one-sided repeated confidence limit at the last look: ``delta + c·se`` (an upper
    limit, for ``delta < margin``) or ``delta − c·se`` (lower, for ``delta > margin``), with
    ``c`` the one-sided boundary spending ``alpha``.  The data show the change is beyond the
    margin at the sequential level when this limit is beyond it; over all looks that happens
    with probability at most ``alpha`` when the true change sits at the margin.

    ``method="confidence_sequence"`` (unplanned looks): ``delta ± r``, ``r`` the two-sided
    always-valid radius at ``alpha`` with mixing variance ``tau2`` (default: the rule of
    :func:`rollout_metrics.infer.always_valid.mixture_variance` at level ``alpha``)."""
    d, s = np.asarray(delta, dtype=float), np.asarray(se, dtype=float)
    if method == "confidence_sequence":
        mix = mixture_variance(s, times[-1], alpha) if tau2 is None else tau2
        r = cs_radius(s, mix, alpha)
        return np.asarray(d + r if upper else d - r, dtype=float)
    c = design(times, alpha, spending, sides=1).bounds[-1]
    return np.asarray(d + c * s if upper else d - c * s, dtype=float)
