"""The metric registry: what each metric *is*, defined once.

Every table, sentence, plot and guardrail reads a metric's :class:`MetricSpec`: the table
and column it needs, how its per-day reduction becomes a sufficient statistic, its point
value, its test, units and scale, label, direction (is higher better?), a plain-language
phrase and the method text. Nothing else in the package branches on a metric's name;
adding a metric means one :func:`register_metric` call plus its tests.

A metric's statistic is built from the rows of its **daily series**
(:mod:`rollout_metrics.stats.daily`): per (segment, day) sums of the reduced columns of its
table. Three kinds of daily series exist:

* ``"counts"`` - sums of per-row counts of the metric's table per day (NPS promoters,
  CSAT score counts...);
* ``"rate"`` - events per day over exposure = active customer-days (churn, complaints);
* ``"durations"`` - whole-minute value counts of a duration per day, from ``created_at`` to
  the end timestamp named by the spec's ``needs`` (:data:`DURATION_ENDS`: handling time,
  first-response time); tickets without that timestamp are censored and counted;
* ``"cohort"`` - no daily series: per segment, customers counted by their pattern over the
  periods (contact share: in each period's cohort, contacted; repeat contacts: eligible
  tickets, followed ones), so the inference can be clustered by customer; ``compare``, the
  forest plot, the heatmap and mix shift show it, the over-time plot and the time-series
  designs do not.  The table says which pattern: ``customers`` (contact share) or
  ``tickets`` (repeat contacts within ``MetricOptions.repeat_days``); for ``orders`` the
  cells are ratios of per-customer sums with their cross-period products
  (:mod:`rollout_metrics.reduce.orders`): ``columns`` names the numerator (``amount``:
  revenue, ``orders``: order count), ``exposure`` whether the denominator is the
  customer's active days (else orders), ``capped`` whether amounts are winsorised.

Examples
--------
>>> spec = get_metric("nps")
>>> spec.label, spec.units, spec.direction
('NPS', 'NPS points', 1)
>>> from rollout_metrics.stats.sufficient import NpsCounts
>>> spec.statistic({"promoters": 50, "passives": 30, "detractors": 20}, MetricOptions())
NpsCounts(promoters=50, passives=30, detractors=20)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from rollout_metrics.errors import DataValidationError
from rollout_metrics.reduce.rows import RowCount
from rollout_metrics.stats.sufficient import (
    CohortShare,
    EventExposure,
    NpsCounts,
    Proportion,
    RatioOfSums,
    ValueCounts,
)

__all__ = [
    "DEFAULT_METRICS",
    "DURATION_ENDS",
    "KINDS",
    "OPTIONAL_TABLES",
    "REGISTRY",
    "MetricOptions",
    "MetricSpec",
    "check_winsorize",
    "get_metric",
    "ratio_spec",
    "register_metric",
    "unregister_metric",
]

KINDS = ("counts", "rate", "durations", "cohort")
CSAT_LEVELS = (1, 2, 3, 4, 5)
QUANTILES = {"median": 0.5, "p90": 0.9}
#: The end timestamps a ``durations`` metric may measure to (its ``needs``), with the name of
#: the measure in :func:`rollout_metrics.reduce.counts.handling_counts`.
DURATION_ENDS = {"resolved_at": "resolution", "first_response_at": "first_response"}
#: Tables whose metrics are in :data:`DEFAULT_METRICS` but left out without a word when the
#: table is not given (most exports have no orders).
OPTIONAL_TABLES = ("orders",)


@dataclass(frozen=True)
class MetricOptions:
    """Settings shared by every metric of one call (see :func:`rollout_metrics.compare`)."""

    alpha: float = 0.05
    min_n: int = 30
    nps_method: str = "adjusted_wald"
    csat_threshold: int = 4
    handling_stat: str = "median"
    repeat_days: int = 7
    #: Quantile of the before period's order amounts at which amounts are capped (``None``
    #: or 1.0: no cap) for the capped revenue metrics.
    winsorize: float | None = 0.999
    n_resamples: int = 2000
    seed: int = 0


Statistic = Callable[[Mapping[str, Any], MetricOptions], Any]
Point = Callable[[Any, MetricOptions], float]


@dataclass(frozen=True)
class MetricSpec:
    """One metric, defined once.

    Attributes
    ----------
    name
        Machine name used in results (``metric`` column) and guardrails.
    label
        Short human label (axis titles, table captions).
    table
        The canonical table whose rows it reduces: ``surveys``, ``tickets``, ``customers``
        or ``orders``.
    needs
        The optional column of ``table`` it cannot do without (``None``: only required ones);
        for ``durations`` the end timestamp of the duration (a key of :data:`DURATION_ENDS`).
    kind
        ``"counts"``, ``"rate"`` or ``"durations"`` (see the module docstring).
    columns
        The reduced columns it reads: for ``counts`` the per-day count columns of its table's
        reduction; for ``rate`` the events column (``churned`` of the customers reduction,
        ``complaints`` of the tickets reduction); empty for ``durations``.
    statistic
        ``(sums, options) -> sufficient statistic``: ``sums`` maps each column to its sum
        over the rows of a cell (for ``rate`` the keys are ``events`` and ``exposure``; for
        ``durations`` ``minutes`` and ``tickets`` hold the value-count arrays).
    point
        ``(statistic, options) -> float``: the metric in raw units (multiplied by ``scale``
        for display).
    test
        The name of the two-sample test :func:`rollout_metrics.compare` runs: ``nps``,
        ``proportion``, ``welch``, ``quantile``, ``poisson_exact`` or ``rate_daily``.
    units, scale
        Display units and the factor from raw units to them.
    direction
        ``+1`` when higher is better for customers, ``-1`` when higher is worse.
    phrase
        Plain-language subject of a sentence ("The complaint rate"); ``{stat}`` is replaced by
        the statistic shown (``median``, ``p90``, ``mean``).
    method
        One line on how it is tested, for the report's methods section.
    daily
        How one day's value is formed (design tables, docs).
    relative
        Whether a relative change (``delta_rel``) is meaningful (not for NPS, a difference
        of shares that can be 0).
    delta_units
        The unit of a change in sentences ("points", "percentage points", "hours"); empty
        when ``units`` reads well after the number.
    row_counts
        Per-row columns the counts reduction of ``table`` adds and sums per day for this
        metric (user-defined metrics, :func:`rollout_metrics.define_metric`); ``columns``
        names them.
    exposure
        For ``orders`` metrics: the denominator is each customer's active days (revenue or
        orders per active customer; needs the customers table) instead of orders.
    capped
        For ``orders`` metrics: amounts are capped at ``MetricOptions.winsorize`` of the
        before period.
    """

    name: str
    label: str
    table: str
    needs: str | None
    kind: str
    columns: tuple[str, ...]
    statistic: Statistic
    point: Point
    test: str
    units: str
    scale: float
    direction: int
    phrase: str
    method: str
    daily: str
    relative: bool = True
    delta_units: str = ""
    row_counts: tuple[RowCount, ...] = ()
    exposure: bool = False
    capped: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise DataValidationError(f"metric {self.name!r}: kind must be one of {KINDS}, "
                                      f"got {self.kind!r}")
        if self.table not in ("surveys", "tickets", "customers", "orders"):
            raise DataValidationError(
                f"metric {self.name!r}: table must be surveys, tickets, customers or orders, "
                f"got {self.table!r}")
        if self.direction not in (-1, 1):
            raise DataValidationError(
                f"metric {self.name!r}: direction must be +1 (higher is better) or -1, got "
                f"{self.direction!r}")
        if self.kind == "durations" and self.needs not in DURATION_ENDS:
            raise DataValidationError(
                f"metric {self.name!r}: a durations metric needs one of {sorted(DURATION_ENDS)} "
                f"(its end timestamp), got {self.needs!r}")

    @property
    def segment_table(self) -> str:
        """The table whose columns (with the customer attributes) can segment it: the
        customers for a metric per active customer over orders."""
        return "customers" if self.exposure else self.table

    @property
    def has_daily_series(self) -> bool:
        """Whether the metric has a per-day series (over-time plot, ITS, DiD)."""
        return self.kind != "cohort"

    def subject(self, options: MetricOptions) -> str:
        """The sentence subject, capitalised, with ``{stat}`` filled in."""
        text = self.phrase.replace("{stat}", options.handling_stat)
        return text[:1].upper() + text[1:]

    def value(self, stat: Any, options: MetricOptions) -> float:
        """The metric in display units (``point * scale``)."""
        return self.point(stat, options) * self.scale


# --------------------------------------------------------------------------- statistics
def _nps(s: Mapping[str, Any], _: MetricOptions) -> NpsCounts:
    return NpsCounts(int(s["promoters"]), int(s["passives"]), int(s["detractors"]))


def _csat_top(s: Mapping[str, Any], o: MetricOptions) -> Proportion:
    top = sum(int(s[f"csat_{k}"]) for k in CSAT_LEVELS if k >= o.csat_threshold)
    return Proportion(top, sum(int(s[f"csat_{k}"]) for k in CSAT_LEVELS))


def _csat_levels(s: Mapping[str, Any], _: MetricOptions) -> ValueCounts:
    return ValueCounts.from_pairs(CSAT_LEVELS, [int(s[f"csat_{k}"]) for k in CSAT_LEVELS])


def _events(s: Mapping[str, Any], _: MetricOptions) -> EventExposure:
    return EventExposure(int(s["events"]), float(s["exposure"]))


def _durations(s: Mapping[str, Any], _: MetricOptions) -> ValueCounts:
    return ValueCounts.from_pairs(np.asarray(s["minutes"], dtype=float),
                                  np.asarray(s["tickets"], dtype=np.int64))


def _cohort(s: Mapping[str, Any], _: MetricOptions) -> CohortShare:
    return CohortShare(str(s["period"]), tuple(s["periods"]), tuple(s["patterns"]))


def _ratio_of_sums(s: Mapping[str, Any], _: MetricOptions) -> RatioOfSums:
    return RatioOfSums(str(s["period"]), tuple(s["periods"]), tuple(s["moments"]),
                       tuple(s["customers"]))


def _ratio(stat: RatioOfSums, _: MetricOptions) -> float:
    return stat.ratio


def check_winsorize(value: Any) -> float | None:
    """The cap quantile of the capped revenue metrics: a number in [0.5, 1]; ``None`` (and
    1.0) for no cap.

    Examples
    --------
    >>> check_winsorize(0.999), check_winsorize(1), check_winsorize(None)
    (0.999, None, None)
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.5 <= value <= 1:
        raise DataValidationError(f"winsorize must be a quantile in [0.5, 1] (or None), got "
                                  f"{value!r}")
    return None if value == 1 else float(value)


def ratio_spec(name: str, *, label: str, table: str, column: str, units: str, scale: float,
               direction: int, phrase: str, daily: str, per_customer: bool,
               method: str | None = None, delta_units: str | None = None, **more: Any
               ) -> MetricSpec:
    """A ratio of two sums per customer (``kind="cohort"``, test ``ratio_clustered``): the
    revenue metrics and user-defined ratios (:func:`rollout_metrics.define_metric`).
    ``per_customer``: the denominator is the customer's active days (else the rows);
    ``method`` defaults to the test in words; ``delta_units`` to ``units``."""
    return MetricSpec(
        name=name, label=label, table=table, needs=more.pop("needs", None), kind="cohort",
        columns=(column,), statistic=_ratio_of_sums, point=_ratio, test="ratio_clustered",
        units=units, scale=scale, direction=direction,
        delta_units=units if delta_units is None else delta_units, phrase=phrase,
        method=method or _RATIO_TEST[0].upper() + _RATIO_TEST[1:], daily=daily,
        exposure=per_customer, **more)


def _nps_point(stat: NpsCounts, _: MetricOptions) -> float:
    return stat.score / 100.0


def _share(stat: Proportion, _: MetricOptions) -> float:
    return stat.share


def _mean(stat: ValueCounts, _: MetricOptions) -> float:
    return stat.moments().mean


def _rate(stat: EventExposure, _: MetricOptions) -> float:
    return stat.rate


def _duration_point(stat: ValueCounts, o: MetricOptions) -> float:
    if o.handling_stat == "mean":
        return stat.moments().mean
    return stat.quantile(QUANTILES[o.handling_stat])


_SURVEY_COUNTS = ("promoters", "passives", "detractors")
_CSAT_COUNTS = tuple(f"csat_{k}" for k in CSAT_LEVELS)

REGISTRY: dict[str, MetricSpec] = {}


def register_metric(spec: MetricSpec, *, replace: bool = False) -> MetricSpec:
    """Add ``spec`` to the registry; ``compare``, plots and the report then know it.

    Examples
    --------
    >>> spec = MetricSpec(
    ...     name="promoter_share", label="Promoters (%)", table="surveys", needs="nps_score",
    ...     kind="counts", columns=("promoters", "nps_n"),
    ...     statistic=lambda s, o: Proportion(int(s["promoters"]), int(s["nps_n"])),
    ...     point=lambda stat, o: stat.share, test="proportion", units="% promoters",
    ...     scale=100.0, direction=1, phrase="the share of promoters",
    ...     method="pooled two-proportion z test; Newcombe hybrid score interval",
    ...     daily="promoters / NPS responses")
    >>> register_metric(spec).name
    'promoter_share'
    >>> unregister_metric("promoter_share")
    """
    if spec.name in REGISTRY and not replace:
        raise DataValidationError(
            f"a metric named {spec.name!r} is already registered; pass replace=True")
    REGISTRY[spec.name] = spec
    return spec


def unregister_metric(name: str) -> None:
    """Remove a metric added with :func:`register_metric` (the built-ins stay)."""
    if name in _BUILT_IN:
        raise DataValidationError(f"{name!r} is a built-in metric and cannot be removed")
    REGISTRY.pop(name, None)


def get_metric(name: str) -> MetricSpec:
    """The spec of ``name``; a clear error listing the known metrics otherwise."""
    try:
        return REGISTRY[name]
    except (KeyError, TypeError):
        raise DataValidationError(
            f"unknown metric {name!r}; metrics: {sorted(REGISTRY)}") from None


#: The inference of every ratio of sums, in words.
_RATIO_TEST = ("ratio of sums per customer, delta-method variance clustered by customer, Wald "
               "interval and z test")

for _spec in (
    MetricSpec(
        name="nps", label="NPS", table="surveys", needs="nps_score", kind="counts",
        columns=_SURVEY_COUNTS, statistic=_nps, point=_nps_point, test="nps",
        units="NPS points", scale=100.0, direction=1, relative=False,
        phrase="NPS", delta_units="points",
        method="Adjusted Wald difference of two multinomial NPS (Rocks 2016); z test from the "
               "same statistic",
        daily="100 (promoters - detractors) / responses, weighted by responses",
    ),
    MetricSpec(
        name="csat", label="CSAT (top-2-box %)", table="surveys", needs="csat_score",
        kind="counts", columns=_CSAT_COUNTS, statistic=_csat_top, point=_share,
        test="proportion", units="% top-2-box", scale=100.0, direction=1,
        phrase="CSAT (top-2-box share)", delta_units="percentage points",
        method="Pooled two-proportion z test; Newcombe hybrid score interval",
        daily="% top-box responses, weighted by responses",
    ),
    MetricSpec(
        name="csat_mean", label="CSAT (mean score)", table="surveys", needs="csat_score",
        kind="counts", columns=_CSAT_COUNTS, statistic=_csat_levels, point=_mean,
        test="welch", units="mean score", scale=1.0, direction=1,
        phrase="Mean CSAT score", delta_units="points",
        method="Welch t test from score counts",
        daily="mean CSAT score, weighted by responses",
    ),
    MetricSpec(
        name="churn", label="Churn (% per 30 customer-days)", table="customers",
        needs="churn_date", kind="rate", columns=("churned",), statistic=_events,
        point=_rate, test="poisson_exact", units="% per 30 customer-days", scale=3000.0,
        direction=-1, phrase="Churn (% per 30 customer-days)",
        delta_units="percentage points",
        method="Exact conditional Poisson rate-ratio test; score interval for the ratio",
        daily="churned customers over active customer-days",
    ),
    MetricSpec(
        name="complaints", label="Complaints (per 1,000 customers per 30 days)",
        table="tickets", needs="is_complaint", kind="rate", columns=("complaints",),
        statistic=_events, point=_rate, test="rate_daily",
        units="per 1,000 customers per 30 days", scale=30000.0, direction=-1,
        phrase="The complaint rate (per 1,000 customers per 30 days)",
        method="Exact Poisson rate test, or quasi-Poisson with weekday terms on the daily "
               "series when it is overdispersed; observed rates, with the interval of their "
               "difference from the test's ratio interval",
        daily="complaint tickets over active customer-days",
    ),
    MetricSpec(
        name="handling_time", label="Handling time (hours)", table="tickets",
        needs="resolved_at", kind="durations", columns=(), statistic=_durations,
        point=_duration_point, test="quantile", units="hours", scale=1 / 60,
        direction=-1, phrase="{stat} handling time", delta_units="hours",
        method="Difference of medians (or p90): smoothed bootstrap of the minute counts, "
               "its spread rescaled to the variance clustered by customer, interval and "
               "p-value from the same bootstrap (Mann-Whitney kept as a distribution-shift "
               "test); the mean: ratio of sums clustered by customer",
        daily="median (or p90, mean) resolution hours of the tickets created that day, "
              "weighted by resolved tickets",
    ),
    MetricSpec(
        name="first_response_time", label="First-response time (hours)", table="tickets",
        needs="first_response_at", kind="durations", columns=(), statistic=_durations,
        point=_duration_point, test="quantile", units="hours", scale=1 / 60,
        direction=-1, phrase="{stat} first-response (waiting) time", delta_units="hours",
        method="Difference of medians (or p90) of created -> first response among answered "
               "tickets: smoothed bootstrap of the minute counts clustered by customer, "
               "interval and p-value from the same bootstrap; tickets never answered are "
               "censored, counted, and flagged (status censoring) above 2% of a period",
        daily="median (or p90, mean) hours from creation to first response of the tickets "
              "created that day, weighted by answered tickets",
    ),
    MetricSpec(
        name="contact_rate", label="Contacts (tickets per 1,000 customers per 30 days)",
        table="tickets", needs=None, kind="rate", columns=("tickets",),
        statistic=_events, point=_rate, test="rate_daily",
        units="per 1,000 customers per 30 days", scale=30000.0, direction=-1,
        phrase="The contact rate (tickets per 1,000 customers per 30 days)",
        method="All tickets over active customer-days: exact Poisson rate test, or "
               "quasi-Poisson with weekday terms on the daily series when it is overdispersed; "
               "observed rates, with the interval of their difference from the test's ratio "
               "interval; days are taken as independent given the weekday (repeat contacts "
               "within a week make it reject too often)",
        daily="tickets (all, not only complaints) over active customer-days",
    ),
    MetricSpec(
        name="contact_share", label="Customers who contacted support (%)",
        table="customers", needs=None, kind="cohort", columns=(), statistic=_cohort,
        point=_share, test="cohort_share", units="% of active customers", scale=100.0,
        direction=-1, phrase="The share of active customers who contacted support",
        delta_units="percentage points",
        method="Customers active on the first day of the period who created at least one "
               "ticket in its first L days (L: the shortest period of the rollout), over those "
               "customers; Wald interval and z test with the variance clustered by customer "
               "(the before and after cohorts share most customers)",
        daily="none: a share of customers over a window (no daily series)",
    ),
    MetricSpec(
        name="repeat_contacts", label="Repeat contacts (% of tickets)", table="tickets",
        needs=None, kind="cohort", columns=(), statistic=_cohort, point=_share,
        test="cohort_share", units="% of tickets", scale=100.0, direction=-1,
        phrase="The share of tickets followed by another contact within the repeat window",
        delta_units="percentage points",
        method="Tickets followed by another ticket of the same customer within N days "
               "(repeat_days, default 7), among tickets created at least N days before the "
               "period's (or the data's) end; ratio of sums per customer, Wald interval and z "
               "test with the variance clustered by customer",
        daily="none: tickets are pooled per customer (no daily series)",
    ),
    ratio_spec(
        "average_check", label="Average check, capped", table="orders", column="amount",
        units="per order", scale=1.0, direction=1, per_customer=False, capped=True,
        phrase="The average check (revenue per order, amounts capped)",
        method="Revenue over orders, order amounts capped at the before period's 99.9th "
               "percentile (winsorize); " + _RATIO_TEST,
        daily="none: revenue and orders are pooled per customer (no daily series)",
    ),
    ratio_spec(
        "average_check_uncapped", label="Average check, uncapped", table="orders",
        column="amount", units="per order", scale=1.0, direction=1, per_customer=False,
        phrase="The average check (revenue per order, amounts as recorded)",
        method="Revenue over orders; " + _RATIO_TEST + " (heavy tails: see the capped row)",
        daily="none: revenue and orders are pooled per customer (no daily series)",
    ),
    ratio_spec(
        "revenue_per_customer", label="Revenue per active customer (per 30 days)",
        table="orders", column="amount", units="per active customer per 30 days", scale=30.0,
        direction=1, per_customer=True, capped=True,
        phrase="Revenue per active customer (per 30 days, amounts capped)",
        method="Revenue (amounts capped as for the average check) over active customer-days, "
               "x 30; every active customer counts, with or without orders; " + _RATIO_TEST,
        daily="none: revenue and active days are pooled per customer (no daily series)",
    ),
    ratio_spec(
        "orders_per_customer", label="Orders (per 100 active customers per 30 days)",
        table="orders", column="orders", units="per 100 active customers per 30 days",
        scale=3000.0, direction=1, per_customer=True,
        phrase="Orders per 100 active customers (per 30 days)",
        method="Orders over active customer-days, x 3000; " + _RATIO_TEST,
        daily="none: orders and active days are pooled per customer (no daily series)",
    ),
):
    register_metric(_spec)

_BUILT_IN = frozenset(REGISTRY)
DEFAULT_METRICS = ("nps", "csat", "churn", "complaints", "handling_time", "first_response_time",
                   "contact_rate", "average_check", "average_check_uncapped",
                   "revenue_per_customer", "orders_per_customer")
