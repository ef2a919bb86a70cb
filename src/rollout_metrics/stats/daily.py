"""The one per-day series of a metric's sufficient statistics, per segment.

Every number a user sees starts here: ``compare``'s period cells and its overdispersion
test, the over-time plot's bins, the designs' series and mix shift all sum rows of the same
:class:`DailySeries`, so they cannot disagree.

Exposure rule for rates (churn, complaints), decided once: the exposure of a segment is the
active customer-days of the customers in the *customer part* of its key. A segment made
only of ticket columns (``channel``) has the exposure of all customers; a crossed segment
``channel × tier`` = ``phone × VIP`` counts phone complaints of VIP customers per VIP
customer-day. So the rates of the channels of one tier add up to the tier's rate.

Examples
--------
>>> import rollout_metrics as rm
>>> from rollout_metrics.metrics import MetricOptions, get_metric
>>> data, r = rm.load_sample(), rm.Rollout("2025-09-01")
>>> s = daily_series(data, r, get_metric("nps"), ["tier"], MetricOptions())
>>> s.keys[:2]
[('overall',), ('VIP',)]
>>> int(s.frame["day"].max()) + 1  # 56 days before + 56 after
112
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from rollout_metrics.errors import DataValidationError, MissingColumnError
from rollout_metrics.load.dataset import Dataset
from rollout_metrics.metrics import (
    DURATION_ENDS,
    OPTIONAL_TABLES,
    MetricOptions,
    MetricSpec,
    get_metric,
)
from rollout_metrics.reduce.counts import (
    active_customers,
    handling_counts,
    survey_counts,
    ticket_counts,
)
from rollout_metrics.reduce.reduction import Reductions
from rollout_metrics.rollout import Rollout

__all__ = ["OVERALL", "DailySeries", "check_metric_columns", "daily_series", "overall_key",
           "supported_metrics"]

OVERALL = "overall"


def overall_key(by: Sequence[str]) -> tuple[str, ...]:
    """The key of the overall row: ``("overall",)`` repeated once per ``by`` column."""
    return (OVERALL,) * max(1, len(by))


def per_customer(spec: MetricSpec) -> bool:
    """Whether ``spec`` needs the customers table: its own table, or active customers as the
    denominator (a ``rate``, revenue or orders per active customer)."""
    return spec.table == "customers" or spec.kind == "rate" or spec.exposure


def check_metric_columns(data: Dataset, spec: MetricSpec, options: MetricOptions) -> None:
    """Raise :class:`MissingColumnError` when ``data`` cannot support ``spec``."""
    if data.customers is None and per_customer(spec):
        raise MissingColumnError(
            f"{spec.name}: no customers table was given, and {spec.label} is counted per "
            "active customer: the denominator needs the customers table")
    needed = spec.needs
    names = data.table(spec.table).collect_schema().names()
    if needed and needed not in names:
        raise MissingColumnError(
            f"{spec.name}: the {spec.table} table has no {needed!r} column, which this metric "
            f"needs. Available columns: {names}"
        )


def supported_metrics(data: Dataset, names: Sequence[str], *, quiet_optional: bool = False
                      ) -> tuple[list[str], list[str]]:
    """Split ``names`` into the metrics ``data`` supports and one message per metric it cannot
    (its table or column is missing), naming what is missing.  With ``quiet_optional`` a
    metric of an optional table that was not given (:data:`~rollout_metrics.metrics.
    OPTIONAL_TABLES`: orders) is left out without a message.

    Examples
    --------
    >>> import rollout_metrics as rm
    >>> supported_metrics(rm.load_sample(), ["nps", "first_response_time"])
    (['nps', 'first_response_time'], [])
    """
    kept: list[str] = []
    skipped: list[str] = []
    for name in names:
        spec = get_metric(name)
        if getattr(data, spec.table, None) is None:
            if quiet_optional and spec.table in OPTIONAL_TABLES:
                continue
            skipped.append(f"{name}: no {spec.table} table was given")
            continue
        if data.customers is None and per_customer(spec):
            skipped.append(f"{name}: no customers table was given; it is counted per active "
                           "customer")
            continue
        try:
            check_metric_columns(data, spec, MetricOptions())
        except MissingColumnError as exc:
            skipped.append(str(exc))
            continue
        kept.append(name)
    return kept, skipped


@dataclass(frozen=True)
class DailySeries:
    """Per (segment, day) sums behind one metric.

    Attributes
    ----------
    spec
        The metric.
    by
        The segment columns; ``keys[0]`` is the overall key.
    keys
        Segment keys (tuples of values, one per ``by`` column), overall first.
    origin
        Midnight of day 0 (the start of the rollout's span unless given).
    frame
        Long table: ``key`` (position in ``keys``), ``day`` and the columns of the kind:
        the spec's count columns, ``events``/``exposure``, or ``minutes``/``tickets`` (open
        tickets with ``minutes`` NaN).
    """

    spec: MetricSpec
    by: tuple[str, ...]
    keys: list[tuple[Any, ...]]
    origin: dt.datetime
    frame: pd.DataFrame

    @property
    def value_columns(self) -> list[str]:
        """The columns summed into a statistic."""
        return [c for c in self.frame.columns if c not in ("key", "day")]

    def sums(self, rows: pd.DataFrame) -> dict[str, Any]:
        """The statistic's input for some rows of :attr:`frame` (one segment)."""
        if self.spec.kind == "durations":
            g = _per_minute(rows, [])
            return {"minutes": g.index.to_numpy(float), "tickets": g.to_numpy(np.int64)}
        return {c: rows[c].sum() for c in self.value_columns}

    def statistic(self, rows: pd.DataFrame, options: MetricOptions) -> Any:
        """The sufficient statistic of some rows of :attr:`frame`."""
        return self.spec.statistic(self.sums(rows), options)

    def open_tickets(self, rows: pd.DataFrame) -> int:
        """Tickets without an end time among ``rows`` (durations only)."""
        if self.spec.kind != "durations":
            return 0
        return int(rows.loc[rows["minutes"].isna(), "tickets"].sum())

    def binned(self, bins: pd.Series | np.ndarray, options: MetricOptions) -> pd.DataFrame:
        """One statistic per (segment, bin): ``key, bin, stat`` (rows whose bin is NaN are
        left out); ``bins`` gives each row of :attr:`frame` its bin."""
        f = self.frame.assign(bin=np.asarray(bins))
        f = f[f["bin"].notna()]
        out: list[tuple[int, Any, Any]] = []
        if self.spec.kind == "durations":
            # One grouping for every (segment, bin): its closed tickets per minute, cut into
            # the (segment, bin) blocks (a block with open tickets only has none).
            cells = f.groupby(["key", "bin"], sort=True).size().index
            per_minute = _per_minute(f, ["key", "bin"])
            minutes = per_minute.index.get_level_values("minutes").to_numpy(float)
            tickets = per_minute.to_numpy(np.int64)
            key_of = per_minute.index.get_level_values("key").to_numpy()
            bin_of = per_minute.index.get_level_values("bin").to_numpy()
            starts = np.flatnonzero(np.r_[True, (key_of[1:] != key_of[:-1])
                                          | (bin_of[1:] != bin_of[:-1])]) if len(key_of) \
                else np.array([], dtype=int)
            where = {(key_of[i], bin_of[i]): (i, j)
                     for i, j in zip(starts, [*starts[1:], len(key_of)], strict=True)}
            for key, b in cells:
                i, j = where.get((key, b), (0, 0))
                out.append((int(key), b, self.spec.statistic(
                    {"minutes": minutes[i:j], "tickets": tickets[i:j]}, options)))
        else:
            sums = f.groupby(["key", "bin"], sort=True)[self.value_columns].sum()
            records: list[dict[str, Any]] = sums.to_dict("records")  # type: ignore[assignment]
            for (key, b), row in zip(sums.index, records, strict=True):
                out.append((int(key), b, self.spec.statistic(row, options)))
        return pd.DataFrame(out, columns=["key", "bin", "stat"])

    def days_of(self, rollout: Rollout) -> dict[str, tuple[int, int]]:
        """Each period of ``rollout`` as a half-open range of day numbers."""
        return {p: ((lo - self.origin).days, (hi - self.origin).days)
                for p, (lo, hi) in rollout.windows().items()}


def _per_minute(rows: pd.DataFrame, keys: list[str]) -> pd.Series:
    """Closed tickets (``minutes`` not missing) per ``keys`` and whole minute, sorted."""
    done = rows[rows["minutes"].notna()]
    out: pd.Series = done.groupby([*keys, "minutes"], sort=True)["tickets"].sum()
    return out


def _key_frame(frame: pd.DataFrame, by: list[str], values: list[str]
               ) -> tuple[list[tuple[Any, ...]], pd.DataFrame]:
    """Overall rows (summed over segments) plus one block per segment key."""
    group = ["day", "minutes"] if "minutes" in values else ["day"]
    sums = [c for c in values if c not in group]
    overall = frame.groupby(group, as_index=False, dropna=False)[sums].sum()
    overall.insert(0, "key", 0)
    keys: list[tuple[Any, ...]] = [overall_key(by)]
    parts = [overall]
    if by:
        labels = frame[by].drop_duplicates()
        found = sorted(tuple(r) for r in labels.itertuples(index=False, name=None))
        keys += found
        code = {k: i + 1 for i, k in enumerate(found)}
        seg = frame.assign(key=[code[tuple(r)] for r in
                                frame[by].itertuples(index=False, name=None)])
        parts.append(seg[["key", *group, *sums]])
    out = pd.concat(parts, ignore_index=True)
    return keys, out[["key", *group, *sums]]


def daily_series(
    source: Dataset | Reductions, rollout: Rollout, spec: MetricSpec, by: Sequence[str],
    options: MetricOptions, *, start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> DailySeries:
    """The per-(segment, day) series of ``spec`` over ``[start, end)`` (default: the
    rollout's span), from the reductions of :mod:`rollout_metrics.reduce.counts`.

    Parameters
    ----------
    source, rollout
        The dataset, or its :class:`~rollout_metrics.Reductions` to reuse, and the rollout
        (its span is the default range; ``tenure_band`` uses its change date).
    spec
        The metric.
    by
        Segment columns (crossed).
    options
        Read by the statistic (a duration's end timestamp is the spec's ``needs``).
    start, end
        The range (midnights); day 0 is ``start``.
    """
    by_list = list(by)
    red = Reductions.of(source)
    data = red.data
    if not spec.has_daily_series:
        raise DataValidationError(
            f"{spec.name} has no daily series ({spec.daily}); compare, the forest plot, the "
            "heatmap and mix shift show it, the over-time plot and the time-series designs "
            "cannot")
    check_metric_columns(data, spec, options)
    lo, hi = rollout.span
    lo, hi = start or lo, end or hi
    # Kept with the reductions it sums (compare, the trend check and the over-time figure
    # ask for the same series); each caller gets its own copy of the frame.
    key = ("daily_series", spec.name, tuple(by_list), lo, hi,
           rollout.change_date if "tenure_band" in by_list else None)
    kept = red.get(key, lambda: _daily_series(red, rollout, spec, by_list, lo, hi))
    return dataclasses.replace(kept, frame=kept.frame.copy())


def _daily_series(red: Reductions, rollout: Rollout, spec: MetricSpec, by_list: list[str],
                  lo: dt.datetime, hi: dt.datetime) -> DailySeries:
    if spec.kind == "counts":
        reduce = survey_counts if spec.table == "surveys" else ticket_counts
        frame = reduce(red, rollout, by_list, start=lo, end=hi, extra=spec.row_counts)
        values = [c for c in frame.columns if c not in ("day", *by_list)]
    elif spec.kind == "rate":
        frame = _rate_frame(red, rollout, spec, by_list, lo, hi)
        values = ["events", "exposure"]
    else:
        frame = handling_counts(red, rollout, by_list, measure=DURATION_ENDS[str(spec.needs)],
                                grain="day", start=lo, end=hi)
        frame = frame.assign(minutes=frame["minutes"].astype(float))
        values = ["minutes", "tickets"]
    keys, long = _key_frame(frame[["day", *by_list, *values]], by_list, values)
    if spec.kind == "rate" and by_list:
        # The overall exposure is all customers' (the grid repeats it on every segment).
        first = frame.drop_duplicates("day").set_index("day")["exposure"]
        overall = long["key"] == 0
        long.loc[overall, "exposure"] = first.reindex(long.loc[overall, "day"]).to_numpy()
        long = _segment_exposure(red, rollout, spec, by_list, keys, long, lo, hi)
    return DailySeries(spec, tuple(by_list), keys, lo, long)


def _customer_part(data: Dataset, spec: MetricSpec, by: list[str]) -> list[str]:
    if spec.table == "customers":
        return by
    return [c for c in by if c in data.segment_columns]


def _rate_frame(red: Reductions, rollout: Rollout, spec: MetricSpec, by: list[str],
                lo: dt.datetime, hi: dt.datetime) -> pd.DataFrame:
    """Per (day, *by): events, and the exposure of all customers (segments get theirs in
    :func:`_segment_exposure`)."""
    data = red.data
    act = active_customers(red, rollout, _customer_part(data, spec, by), start=lo, end=hi)
    total = act.groupby("day")["active"].sum()
    if spec.table == "customers":
        events = act.rename(columns={spec.columns[0]: "events"})
    else:
        events = ticket_counts(red, rollout, by, start=lo, end=hi,
                               extra=spec.row_counts).rename(columns={spec.columns[0]: "events"})
    # Every day of the range is a row of the overall series, events or not.
    days = pd.DataFrame({"day": total.index.to_numpy(), "exposure": total.to_numpy(float)})
    if by:
        keys = events[by].drop_duplicates()
        if spec.table != "customers" and _customer_part(data, spec, by) == by:
            keys = pd.concat([keys, act[by].drop_duplicates()]).drop_duplicates()
        grid = days.merge(keys, how="cross")
    else:
        grid = days
    merged = grid.merge(events[["day", *by, "events"]], on=["day", *by], how="left")
    merged["events"] = merged["events"].fillna(0).astype(np.int64)
    return merged


def _segment_exposure(red: Reductions, rollout: Rollout, spec: MetricSpec, by: list[str],
                      keys: list[tuple[Any, ...]], long: pd.DataFrame, lo: dt.datetime,
                      hi: dt.datetime) -> pd.DataFrame:
    """Replace each segment's exposure by that of the customers in its customer part."""
    cust = _customer_part(red.data, spec, by)
    if not cust:
        return long  # ticket columns only: every segment is exposed as all customers
    act = active_customers(red, rollout, cust, start=lo, end=hi)
    exposure = act.set_index([*cust, "day"])["active"]
    positions = [by.index(c) for c in cust]
    seg = long["key"].to_numpy() > 0
    idx = pd.MultiIndex.from_arrays(
        [np.asarray([keys[k][p] for k in long.loc[seg, "key"]], dtype=object)
         for p in positions] + [long.loc[seg, "day"].to_numpy()],
        names=[*cust, "day"])
    out = long.copy()
    out.loc[seg, "exposure"] = exposure.reindex(idx).fillna(0).to_numpy(float)
    return out
