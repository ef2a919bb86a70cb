"""Sufficient statistics: the small tables every test works from.

Each metric reduces, per (period, segment), to one of these frozen dataclasses.
They add with ``+``, so days or segments can be merged without touching a raw
row again (the GrowthBook ``gbstats`` design).  Inference functions in
:mod:`rollout_metrics.infer.two_sample` take only these.

Examples
--------
>>> from rollout_metrics.stats.sufficient import NpsCounts
>>> NpsCounts(5, 3, 2) + NpsCounts(1, 0, 1)
NpsCounts(promoters=6, passives=3, detractors=3)
>>> round(NpsCounts(6, 3, 3).score, 6)
25.0
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "ClusteredCounts",
    "CohortShare",
    "EventExposure",
    "Moments",
    "NpsCounts",
    "Proportion",
    "RatioOfSums",
    "ValueCounts",
]


@dataclass(frozen=True, slots=True)
class NpsCounts:
    """Counts of promoters (9-10), passives (7-8) and detractors (0-6)."""

    promoters: int
    passives: int
    detractors: int

    def __add__(self, other: NpsCounts) -> NpsCounts:
        return NpsCounts(
            self.promoters + other.promoters,
            self.passives + other.passives,
            self.detractors + other.detractors,
        )

    @property
    def n(self) -> int:
        """Number of responses."""
        return self.promoters + self.passives + self.detractors

    @property
    def score(self) -> float:
        """NPS in points, 100 * (share of promoters - share of detractors); NaN when empty."""
        if self.n == 0:
            return float("nan")
        return 100.0 * (self.promoters - self.detractors) / self.n


@dataclass(frozen=True, slots=True)
class Proportion:
    """``successes`` out of ``n`` trials (e.g. CSAT top-2-box, cohort churn)."""

    successes: int
    n: int

    def __add__(self, other: Proportion) -> Proportion:
        return Proportion(self.successes + other.successes, self.n + other.n)

    @property
    def share(self) -> float:
        """successes / n; NaN when n is 0."""
        return self.successes / self.n if self.n else float("nan")


@dataclass(frozen=True, slots=True)
class Moments:
    """n, sum and sum of squares of a numeric variable (enough for a Welch t test)."""

    n: int
    total: float
    total_sq: float

    def __add__(self, other: Moments) -> Moments:
        return Moments(self.n + other.n, self.total + other.total, self.total_sq + other.total_sq)

    @property
    def mean(self) -> float:
        """Arithmetic mean; NaN when n is 0."""
        return self.total / self.n if self.n else float("nan")

    def moments(self) -> Moments:
        """Itself (the tests ask every statistic for its moments)."""
        return self

    @property
    def variance(self) -> float:
        """Sample variance (n - 1 denominator); NaN when n < 2, never a silent 0."""
        if self.n < 2:
            return float("nan")
        return max(0.0, (self.total_sq - self.total**2 / self.n) / (self.n - 1))


def _frozen(v: NDArray[np.float64], c: NDArray[np.int64]
            ) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    v.flags.writeable = False
    c.flags.writeable = False
    return v, c


@dataclass(frozen=True, slots=True)
class ValueCounts:
    """Counts of each distinct value, values sorted ascending and unique.

    Used for CSAT scores (1..5) and for handling times at a fixed resolution
    (whole minutes).  Construct with :meth:`from_pairs` to sort and merge.
    """

    values: tuple[float, ...]
    counts: tuple[int, ...]
    # The same numbers as numpy arrays, kept so tests do not convert tuples again.
    _arrays: tuple[NDArray[np.float64], NDArray[np.int64]] | None = field(
        default=None, init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if len(self.values) != len(self.counts):
            raise ValueError(
                f"ValueCounts needs as many counts as values: got {len(self.values)} values "
                f"and {len(self.counts)} counts"
            )
        v = np.asarray(self.values, dtype=float)
        if v.size > 1 and bool((np.diff(v) <= 0).any()):
            raise ValueError("ValueCounts values must be strictly increasing; use from_pairs()")
        object.__setattr__(self, "_arrays", _frozen(v, np.asarray(self.counts, dtype=np.int64)))

    @classmethod
    def from_pairs(cls, values: Iterable[float], counts: Iterable[int]) -> ValueCounts:
        """Build from unsorted, possibly repeated values; zero counts are dropped."""
        v = np.asarray(list(values) if not isinstance(values, np.ndarray) else values,
                       dtype=float)
        c = np.asarray(list(counts) if not isinstance(counts, np.ndarray) else counts,
                       dtype=np.int64)
        if v.shape != c.shape:
            raise ValueError(f"from_pairs needs as many counts as values: got {v.size} values "
                             f"and {c.size} counts")
        keep = c != 0
        uniq, inverse = np.unique(v[keep], return_inverse=True)
        summed = np.bincount(inverse, weights=c[keep], minlength=uniq.size).astype(np.int64)
        # Sorted and unique by construction: skip __post_init__'s checks.
        out = object.__new__(cls)
        object.__setattr__(out, "values", tuple(uniq.tolist()))
        object.__setattr__(out, "counts", tuple(summed.tolist()))
        object.__setattr__(out, "_arrays", _frozen(uniq, summed))
        return out

    @classmethod
    def from_values(cls, values: Iterable[float]) -> ValueCounts:
        """Build from raw values (for tests and small inputs)."""
        arr = np.asarray(list(values), dtype=float)
        uniq, cnt = np.unique(arr, return_counts=True)
        return cls(tuple(float(u) for u in uniq), tuple(int(c) for c in cnt))

    def __add__(self, other: ValueCounts) -> ValueCounts:
        (v1, c1), (v2, c2) = self.arrays(), other.arrays()
        return ValueCounts.from_pairs(np.concatenate([v1, v2]), np.concatenate([c1, c2]))

    @property
    def n(self) -> int:
        """Number of observations."""
        return int(self.arrays()[1].sum())

    def arrays(self) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
        """Values and counts as numpy arrays (read-only views of the cached arrays)."""
        if self._arrays is None:  # pragma: no cover - always set at construction
            raise RuntimeError("ValueCounts built without its arrays")
        return self._arrays

    def moments(self) -> Moments:
        """The :class:`Moments` implied by these counts."""
        v, c = self.arrays()
        return Moments(int(c.sum()), float((v * c).sum()), float((v * v * c).sum()))

    def quantile(self, q: float) -> float:
        """Quantile with linear interpolation between order statistics (numpy's default)."""
        v, c = self.arrays()
        n = int(c.sum())
        if n == 0:
            return float("nan")
        pos = q * (n - 1)
        lo, hi = int(np.floor(pos)), int(np.ceil(pos))
        cum = np.cumsum(c)
        v_lo = v[np.searchsorted(cum, lo + 1)]
        v_hi = v[np.searchsorted(cum, hi + 1)]
        return float(v_lo + (v_hi - v_lo) * (pos - lo))


@dataclass(frozen=True, slots=True)
class ClusteredCounts(ValueCounts):
    """Value counts of one period's tickets, kept with how they cluster by customer at the
    period's ``q`` quantile: ``clusters`` (a :class:`RatioOfSums` seen from this period) holds,
    per customer, the tickets at or below the quantile (``y_<p>``) and all its tickets
    (``n_<p>``) of every period, summed with their products; with ``q`` nan, ``y_<p>`` is the
    customer's minutes instead (the mean, a ratio of sums).
    :func:`rollout_metrics.infer.ranks.quantile_diff` uses it for the variance clustered by
    customer.  Adding two cells gives plain :class:`ValueCounts` (the quantile moved).

    Examples
    --------
    >>> vc = ValueCounts.from_values([10, 20, 20, 40])
    >>> r = RatioOfSums("before", ("before",), (("y_before", 3.0), ("n_before", 4.0)),
    ...                 (("before", 2),))
    >>> c = ClusteredCounts.of(vc, r, 0.5)
    >>> c.quantile(0.5), c.n, c.clusters.ratio, type(c + c).__name__
    (20.0, 4, 0.75, 'ValueCounts')
    """

    clusters: RatioOfSums | None = None
    q: float = math.nan

    @classmethod
    def of(cls, counts: ValueCounts, clusters: RatioOfSums, q: float) -> ClusteredCounts:
        """``counts`` with its ``clusters`` at quantile ``q``."""
        out = object.__new__(cls)
        object.__setattr__(out, "values", counts.values)
        object.__setattr__(out, "counts", counts.counts)
        object.__setattr__(out, "_arrays", counts.arrays())
        object.__setattr__(out, "clusters", clusters)
        object.__setattr__(out, "q", float(q))
        return out


@dataclass(frozen=True, slots=True)
class EventExposure:
    """Event count over an exposure (customer-days at risk, active customer-days)."""

    events: int
    exposure: float

    def __add__(self, other: EventExposure) -> EventExposure:
        return EventExposure(self.events + other.events, self.exposure + other.exposure)

    @property
    def rate(self) -> float:
        """events / exposure; NaN when the exposure is 0."""
        return self.events / self.exposure if self.exposure else float("nan")


@dataclass(frozen=True, slots=True)
class CohortShare:
    """A share of units summed per customer, kept with each customer's pattern over every
    period so that periods sharing customers can be compared (clustered by customer).

    ``patterns`` holds ``(counts, customers)`` pairs; ``counts`` has two entries per period of
    ``periods``, in order: the customer's units in the period and how many of them count
    (contact share: 0/1 in the period's cohort and 0/1 contacted; repeat contacts: eligible
    tickets and those followed up).  Cells of one table share ``patterns`` and differ in
    ``period``.

    Examples
    --------
    >>> s = CohortShare("before", ("before", "after"),
    ...                 (((1, 1, 1, 0), 30), ((1, 0, 1, 1), 20), ((1, 0, 0, 0), 50)))
    >>> s.n, s.successes, s.share
    (100, 30, 0.3)
    >>> s.at("after").n, s.at("after").successes
    (50, 20)
    """

    period: str
    periods: tuple[str, ...]
    patterns: tuple[tuple[tuple[int, ...], int], ...]

    def at(self, period: str) -> CohortShare:
        """The same customers seen from ``period``."""
        return CohortShare(period, self.periods, self.patterns)

    def _flags(self, period: str) -> tuple[int, int]:
        i = self.periods.index(period)
        return 2 * i, 2 * i + 1

    def __add__(self, other: CohortShare) -> CohortShare:
        if (self.period, self.periods) != (other.period, other.periods):
            raise ValueError("CohortShare cells of different periods do not add")
        merged: dict[tuple[int, ...], int] = dict(self.patterns)
        for flags, count in other.patterns:
            merged[flags] = merged.get(flags, 0) + count
        return CohortShare(self.period, self.periods, tuple(sorted(merged.items())))

    @property
    def n(self) -> int:
        """Units in the period (customers of its cohort, eligible tickets)."""
        i, _ = self._flags(self.period)
        return sum(c * f[i] for f, c in self.patterns)

    @property
    def successes(self) -> int:
        """Units of the period that count (customers who contacted, tickets followed up)."""
        _, j = self._flags(self.period)
        return sum(c * f[j] for f, c in self.patterns)

    @property
    def share(self) -> float:
        """successes / n; NaN when the cohort is empty."""
        n = self.n
        return self.successes / n if n else float("nan")


@dataclass(frozen=True, slots=True)
class RatioOfSums:
    """A ratio of two sums over customers, ``Σ y / Σ n`` in ``period``, kept with the sums
    of every product of two per-customer sums over the periods, so that periods sharing
    customers can be compared with the variance clustered by customer
    (:func:`rollout_metrics.infer.overlap.ratio_of_sums_diff`).

    ``moments`` maps the names of :func:`rollout_metrics.reduce.orders.moment_names`
    (``y_<p>``, ``n_<p>``, ``<a>*<b>``) to their sums; ``customers`` maps each period to the
    customers with a unit (an order, an active day) in it.

    Examples
    --------
    >>> r = RatioOfSums("before", ("before", "after"),
    ...                 (("y_before", 300.0), ("n_before", 6.0)), (("before", 4),))
    >>> r.ratio, r.n, r.units
    (50.0, 4, 6.0)
    """

    period: str
    periods: tuple[str, ...]
    moments: tuple[tuple[str, float], ...]
    customers: tuple[tuple[str, int], ...]

    def at(self, period: str) -> RatioOfSums:
        """The same customers seen from ``period``."""
        return RatioOfSums(period, self.periods, self.moments, self.customers)

    def __add__(self, other: RatioOfSums) -> RatioOfSums:
        if (self.period, self.periods) != (other.period, other.periods):
            raise ValueError("RatioOfSums cells of different periods do not add")
        sums = dict(self.moments)
        for k, v in other.moments:
            sums[k] = sums.get(k, 0.0) + v
        count = dict(self.customers)
        for k, c in other.customers:
            count[k] = count.get(k, 0) + c
        return RatioOfSums(self.period, self.periods, tuple(sums.items()),
                           tuple(count.items()))

    def moment(self, name: str) -> float:
        """The sum named ``name`` (0 when absent)."""
        return dict(self.moments).get(name, 0.0)

    def product(self, a: str, b: str) -> float:
        """The sum over customers of ``a * b`` (two of ``y_<p>``, ``n_<p>``), in either order."""
        sums = dict(self.moments)
        return sums.get(f"{a}*{b}", sums.get(f"{b}*{a}", 0.0))

    @property
    def n(self) -> int:
        """Customers with a unit in the period (the clusters)."""
        return dict(self.customers).get(self.period, 0)

    @property
    def units(self) -> float:
        """The denominator ``Σ n`` (orders, or active customer-days)."""
        return self.moment(f"n_{self.period}")

    @property
    def total(self) -> float:
        """The numerator ``Σ y`` (revenue, or orders)."""
        return self.moment(f"y_{self.period}")

    @property
    def ratio(self) -> float:
        """``Σ y / Σ n``; NaN when ``Σ n`` is 0."""
        return self.total / self.units if self.units else float("nan")
