"""Reduce raw rows to sufficient statistics, on the data's own engine.

Every function here runs one narwhals group-by per table and collects only the
small result (a row per day and segment, or per period, segment and minute).
Inference never sees a raw row.  Aggregations are elementary (helper columns
first, then plain ``sum``/``len``) so every engine runs them natively.

Days are integers counted from ``origin`` (midnight in the dataset's timezone);
:func:`rollout_metrics.rollout.Rollout.windows` boundaries are midnights, so a
day belongs to exactly one period.

Examples
--------
>>> import rollout_metrics as rm
>>> data, r = rm.load_sample(), rm.Rollout("2025-09-01", announced="2025-08-11")
>>> s = survey_counts(data, r, ["tier"])
>>> int(s["promoters"].sum() + s["passives"].sum() + s["detractors"].sum()) == int(s["nps_n"].sum())
True
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import narwhals as nw
import numpy as np
import pandas as pd

from rollout_metrics._engine.cast import with_seconds_between
from rollout_metrics.errors import DataValidationError, MissingColumnError, PeriodError
from rollout_metrics.load.dataset import Dataset
from rollout_metrics.reduce.reduction import ReductionKey, Reductions
from rollout_metrics.reduce.rows import RowCount, row_expression
from rollout_metrics.reduce.segments import Segmented, attach_segments
from rollout_metrics.rollout import Rollout

__all__ = [
    "active_customers",
    "assign_period",
    "handling_counts",
    "survey_counts",
    "ticket_counts",
    "ticket_minutes",
]

CSAT_LEVELS = (1, 2, 3, 4, 5)


def _with_day(frame: nw.LazyFrame[Any], name: str, col: str, origin: dt.datetime
              ) -> nw.LazyFrame[Any]:
    """Add ``name``: whole days from ``origin`` to ``col`` (float: pandas cannot hold a
    missing day in int64; the values are whole numbers anyway)."""
    frame = with_seconds_between(frame, name, col, origin)
    return frame.with_columns((nw.col(name) / 86400.0).floor().alias(name))


def _kept(red: Reductions, key: ReductionKey, compute: Any) -> pd.DataFrame:
    """Compute a reduction once per :class:`Reductions` and key; hand out copies (callers
    may mutate them)."""
    result: pd.DataFrame = red.get(key, compute)
    return result.copy()


def _key(name: str, rollout: Rollout | None, by: list[str], lo: dt.datetime, hi: dt.datetime,
         extra: tuple[RowCount, ...] = ()) -> ReductionKey:
    # tenure_band depends on the change date; everything else only on the range.
    change = rollout.change_date if rollout is not None and "tenure_band" in by else None
    return ReductionKey(name, tuple(by), (lo, hi), "day", (change, *extra))


def _collect(frame: nw.LazyFrame[Any], counts: list[str], sums: tuple[str, ...] = ()
             ) -> pd.DataFrame:
    """Collect the small result; counts and day numbers as int64 whatever the engine gave,
    ``sums`` (of values) as float64."""
    # Cast in the engine: DuckDB sums integers to HUGEINT, which pandas would get as Decimal
    # objects (0.37 s to convert for a 10M-ticket compare).
    out = frame.with_columns(*[nw.col(c).cast(nw.Float64 if c in sums else nw.Int64)
                               for c in counts]).collect().to_pandas()
    for c in counts:
        values = pd.to_numeric(out[c]).fillna(0)
        out[c] = values.astype(np.float64 if c in sums else np.int64)
    for c in ("day", "first", "last"):
        if c in out.columns:
            out[c] = pd.to_numeric(out[c]).astype(np.int64)
    if "__seg" in out.columns:  # a row without a segment code is caught by decode
        out["__seg"] = pd.to_numeric(out["__seg"]).fillna(-1).astype(np.int64)
    return out


def _range(rollout: Rollout | None, start: dt.datetime | None, end: dt.datetime | None
           ) -> tuple[dt.datetime, dt.datetime]:
    if rollout is None:
        if start is None or end is None:
            raise PeriodError("start and end are needed without a rollout")
        return start, end
    lo, hi = rollout.span
    return (start or lo), (end or hi)


def assign_period(day: pd.Series, rollout: Rollout, origin: dt.datetime) -> pd.Series:
    """Period name of each integer day (``None`` outside the windows and in the washout)."""
    out = pd.Series(None, index=day.index, dtype="object")
    for name, (start, end) in rollout.windows().items():
        lo, hi = (start - origin).days, (end - origin).days
        out[(day >= lo) & (day < hi)] = name
    return out


def _extra(frame: nw.LazyFrame[Any], table: str, extra: tuple[RowCount, ...]
           ) -> dict[str, nw.Expr]:
    names = frame.collect_schema().names()
    for rc in extra:
        missing = [c for c in rc.columns if c not in names]
        if missing:
            raise MissingColumnError(
                f"{rc.name.split('__')[0]}: the {table} table has no column "
                f"{', '.join(map(repr, missing))}. Available columns: {names}")
    return {rc.name: row_expression(rc) for rc in extra}


def _survey_counts(
    red: Reductions, rollout: Rollout | None, by: list[str], *,
    start: dt.datetime | None = None, end: dt.datetime | None = None,
    extra: tuple[RowCount, ...] = (),
) -> pd.DataFrame:
    """Per (day, segment): NPS promoter/passive/detractor counts and CSAT score counts.

    Columns: ``day, *by, nps_n, promoters, passives, detractors, csat_n, csat_1..csat_5``.
    """
    lo, hi = _range(rollout, start, end)
    seg = attach_segments(red, "surveys", by, rollout, metric="nps/csat")
    frame = seg.frame
    names = frame.collect_schema().names()
    nps = nw.col("nps_score") if "nps_score" in names else nw.lit(None, nw.Float64)
    csat = nw.col("csat_score") if "csat_score" in names else nw.lit(None, nw.Float64)
    helpers = {
        "nps_n": ~nps.is_null(),
        "promoters": (nps >= 9),
        "passives": (nps >= 7) & (nps <= 8),
        "detractors": (nps <= 6),
        "csat_n": ~csat.is_null(),
        **{f"csat_{k}": csat == k for k in CSAT_LEVELS},
    }
    more = _extra(frame, "surveys", extra)
    inside = frame.filter((nw.col("responded_at") >= lo) & (nw.col("responded_at") < hi))
    counts = (
        _with_day(inside, "day", "responded_at", lo)
        .with_columns(*[e.fill_null(False).cast(nw.Int64).alias(k) for k, e in helpers.items()],
                      *[e.alias(k) for k, e in more.items()])
        .group_by("day", *seg.keys)
        .agg(*[nw.col(k).sum() for k in [*helpers, *more]])
    )
    sums = tuple(rc.name for rc in extra if rc.is_float)
    return seg.decode(_collect(counts, [*helpers, *more], sums), ["day", *by])


def _ticket_counts(
    red: Reductions, rollout: Rollout | None, by: list[str], *,
    start: dt.datetime | None = None, end: dt.datetime | None = None,
    extra: tuple[RowCount, ...] = (),
) -> pd.DataFrame:
    """Per (day, segment): tickets opened and complaints among them.

    Columns: ``day, *by, tickets, complaints``.
    """
    lo, hi = _range(rollout, start, end)
    seg = attach_segments(red, "tickets", by, rollout, metric="complaints")
    frame = seg.frame
    # Validation excluded and counted tickets whose complaint flag is missing.
    complaint = (nw.col("is_complaint")
                 if "is_complaint" in frame.collect_schema().names() else nw.lit(False))
    more = _extra(frame, "tickets", extra)
    inside = frame.filter((nw.col("created_at") >= lo) & (nw.col("created_at") < hi))
    counts = (
        _with_day(inside, "day", "created_at", lo)
        .with_columns(complaint.cast(nw.Int64).alias("complaints"),
                      nw.lit(1).cast(nw.Int64).alias("tickets"),
                      *[e.alias(k) for k, e in more.items()])
        .group_by("day", *seg.keys)
        .agg(nw.col("tickets").sum(), nw.col("complaints").sum(),
             *[nw.col(k).sum() for k in more])
    )
    sums = tuple(rc.name for rc in extra if rc.is_float)
    return seg.decode(_collect(counts, ["tickets", "complaints", *more], sums), ["day", *by])


def _active_customers(
    red: Reductions, rollout: Rollout | None, by: list[str], *,
    start: dt.datetime | None = None, end: dt.datetime | None = None,
) -> pd.DataFrame:
    """Per (day, segment): customers at risk at the start of the day, and churn events.

    A customer is at risk on day ``d`` when ``signup <= d < churn`` (days at the
    resolution of whole days), so exposure runs from max(signup, start) to
    min(churn, end); churning on day ``d`` is an event on day ``d``.  The
    engine only counts sign-ups and churns per day; the running total is taken
    here on the small table.  Columns: ``day, *by, active, churned``.
    """
    lo, hi = _range(rollout, start, end)
    n_days = (hi - lo).days
    frame = attach_segments(red, "customers", by, rollout, metric="churn").frame
    names = frame.collect_schema().names()
    churn = nw.col("churn_date") if "churn_date" in names else nw.lit(None, nw.Datetime("us"))
    base = _with_day(frame.filter(
        (nw.col("signup_date") < hi) & (churn.is_null() | (churn >= lo))
    ), "first", "signup_date", lo)
    base = (_with_day(base, "last", "churn_date", lo) if "churn_date" in names
            else base.with_columns(nw.lit(None, nw.Float64).alias("last")))
    base = base.with_columns(nw.col("first").clip(lower_bound=0), nw.lit(1).alias("one"))
    joins = _collect(base.group_by("first", *by).agg(nw.col("one").sum().alias("n")), ["n"])
    leaves = _collect(base.filter(~nw.col("last").is_null() & (nw.col("last") < n_days))
                      .group_by("last", *by).agg(nw.col("one").sum().alias("n")), ["n"])
    return _running_total(joins, leaves, by, n_days)


def _running_total(joins: pd.DataFrame, leaves: pd.DataFrame, by: list[str], n_days: int
                   ) -> pd.DataFrame:
    """Customers at risk per (segment, day) from sign-up and churn counts, all segments at once.

    Exposure runs from max(signup, start) to min(churn, end) (METHODS.md): a customer
    churning on day d was at risk up to the midnight starting d, not on d itself.
    """
    keys = by or ["__all"]
    joins, leaves = joins.assign(__all=0), leaves.assign(__all=0)
    days = pd.RangeIndex(n_days, name="day")
    start_wide = joins.pivot_table(index=keys, columns="first", values="n", aggfunc="sum")
    churn_wide = leaves.pivot_table(index=keys, columns="last", values="n", aggfunc="sum")
    index = start_wide.index.union(churn_wide.index)
    start = start_wide.reindex(index=index, columns=days).fillna(0).to_numpy()
    churn = churn_wide.reindex(index=index, columns=days).fillna(0).to_numpy()
    active = np.cumsum(start, axis=1) - np.cumsum(churn, axis=1)
    out = pd.DataFrame({
        "day": np.tile(np.arange(n_days), len(index)),
        "active": active.ravel().astype(np.int64),
        "churned": churn.ravel().astype(np.int64),
    })
    labels = pd.DataFrame([k if isinstance(k, tuple) else (k,) for k in index.tolist()],
                          columns=keys)
    for col in by:
        out[col] = np.repeat(labels[col].to_numpy(), n_days)
    return out[["day", *by, "active", "churned"]]


def _minutes(frame: nw.LazyFrame[Any], end_col: str) -> nw.LazyFrame[Any]:
    """``minutes``: whole minutes from ``created_at`` to ``end_col``, -1 when open."""
    # Whole minutes as integers (grouping integers is cheaper); open tickets as -1 here
    # (validation excluded negative times), null again after collecting.
    # Half a minute rounds up on every engine: floor(x + 0.5), not the engines' own
    # round() (pandas and Polars round halves to even, DuckDB away from zero).
    return with_seconds_between(frame, "minutes", end_col, "created_at").with_columns(
        (nw.col("minutes") / 60.0 + 0.5).floor().fill_null(-1).cast(nw.Int64).alias("minutes"))


def ticket_minutes(red: Reductions, rollout: Rollout, by: list[str], *, measure: str
                   ) -> tuple[Segmented, nw.LazyFrame[Any]]:
    """The tickets of the rollout's windows with their segment keys, ``period`` and
    ``minutes`` (whole minutes of ``measure``, -1 when the ticket is open)."""
    seg, end_col = _duration_segments(red, rollout, by, measure)
    start, end = rollout.span
    # The span first: a plain range the engine can push into the scan (Parquet row groups
    # skipped, 10M tickets -> the 3.7M in the windows joined and grouped).
    frame = seg.frame.filter((nw.col("created_at") >= start) & (nw.col("created_at") < end))
    inside = frame.with_columns(rollout.period_expr("created_at").alias("period")).filter(
        ~nw.col("period").is_null())
    return seg, _minutes(inside, end_col)


def _duration_segments(red: Reductions, rollout: Rollout | None, by: list[str], measure: str
                       ) -> tuple[Segmented, str]:
    end_col = {"resolution": "resolved_at", "first_response": "first_response_at"}[measure]
    label = {"resolution": "handling_time", "first_response": "first_response_time"}[measure]
    seg = attach_segments(red, "tickets", by, rollout, metric=label)
    if end_col not in seg.frame.collect_schema().names():
        raise MissingColumnError(
            f"{label}: the tickets table has no {end_col!r} column; available: "
            f"{seg.frame.collect_schema().names()}"
        )
    return seg, end_col


def _handling_counts(
    red: Reductions, rollout: Rollout | None, by: list[str], *, measure: str,
    grain: str, lo: dt.datetime | None, hi: dt.datetime | None,
) -> pd.DataFrame:
    if grain == "period" and rollout is not None:
        seg, timed = ticket_minutes(red, rollout, by, measure=measure)
    else:
        seg, end_col = _duration_segments(red, rollout, by, measure)
        if grain == "day" and lo is not None and hi is not None:
            inside = _with_day(
                seg.frame.filter((nw.col("created_at") >= lo) & (nw.col("created_at") < hi)),
                "day", "created_at", lo)
        else:
            inside = seg.frame.with_columns(nw.lit("all").alias("period"))
        timed = _minutes(inside, end_col)
    counts = (
        timed.with_columns(nw.lit(1).cast(nw.Int64).alias("one"))
        .group_by(grain, *seg.keys, "minutes")
        .agg(nw.col("one").sum().alias("tickets"))
    )
    out = _collect(counts, ["tickets"])
    minutes = out["minutes"].astype("Int64")
    out["minutes"] = minutes.mask(minutes < 0)
    return seg.decode(out, [grain, *by, "minutes"])


def survey_counts(
    source: Dataset | Reductions, rollout: Rollout | None, by: list[str], *,
    start: dt.datetime | None = None, end: dt.datetime | None = None,
    extra: tuple[RowCount, ...] = (),
) -> pd.DataFrame:
    """Per (day, segment): NPS promoter/passive/detractor counts and CSAT score counts.

    Columns: ``day, *by, nps_n, promoters, passives, detractors, csat_n, csat_1..csat_5``.
    Computed once per dataset and arguments (NPS and CSAT share the scan); ``extra`` adds the
    per-row columns of user-defined metrics (:class:`~rollout_metrics.reduce.rows.RowCount`).
    """
    lo, hi = _range(rollout, start, end)
    red = Reductions.of(source)
    return _kept(red, _key("surveys", rollout, by, lo, hi, extra),
                 lambda: _survey_counts(red, rollout, by, start=lo, end=hi, extra=extra))


def ticket_counts(
    source: Dataset | Reductions, rollout: Rollout | None, by: list[str], *,
    start: dt.datetime | None = None, end: dt.datetime | None = None,
    extra: tuple[RowCount, ...] = (),
) -> pd.DataFrame:
    """Per (day, segment): tickets opened and complaints among them (``day, *by, tickets,
    complaints``, plus the ``extra`` columns of user-defined metrics); computed once per
    dataset and arguments."""
    lo, hi = _range(rollout, start, end)
    red = Reductions.of(source)
    return _kept(red, _key("tickets", rollout, by, lo, hi, extra),
                 lambda: _ticket_counts(red, rollout, by, start=lo, end=hi, extra=extra))


def active_customers(
    source: Dataset | Reductions, rollout: Rollout | None, by: list[str], *,
    start: dt.datetime | None = None, end: dt.datetime | None = None,
) -> pd.DataFrame:
    """Per (day, segment): customers at risk at the start of the day, and churn events.

    A customer is at risk on day ``d`` when ``signup <= d < churn``, so exposure runs from
    max(signup, start) to min(churn, end); churning on day ``d`` is an event on ``d``.
    Columns: ``day, *by, active, churned``.  Computed once per dataset and arguments
    (churn and complaint exposure share it).
    """
    lo, hi = _range(rollout, start, end)
    red = Reductions.of(source)
    return _kept(red, _key("customers", rollout, by, lo, hi),
                 lambda: _active_customers(red, rollout, by, start=lo, end=hi))


def handling_counts(
    source: Dataset | Reductions, rollout: Rollout | None, by: list[str], *, measure: str = "resolution",
    grain: str = "period", start: dt.datetime | None = None, end: dt.datetime | None = None,
) -> pd.DataFrame:
    """Per (period or day, segment, whole minute): tickets resolved in that many minutes.

    ``measure="resolution"`` uses ``resolved_at - created_at``, ``"first_response"``
    ``first_response_at - created_at``.  Open tickets appear with ``minutes`` null:
    counted, not dropped.  Tickets belong to the period (``grain="period"``, the rollout's
    windows) or day (``grain="day"``, days from ``start`` over ``[start, end)``, default the
    rollout's span) of their ``created_at``.  Columns: ``period`` or ``day``, ``*by,
    minutes, tickets``.  Computed once per dataset and arguments.
    """
    if grain not in ("period", "day"):
        raise DataValidationError(f"grain must be 'period' or 'day', got {grain!r}")
    lo = hi = None
    if grain == "day":
        lo, hi = _range(rollout, start, end)
    windows = tuple(rollout.windows().items()) if rollout is not None else None
    change = rollout.change_date if rollout is not None and "tenure_band" in by else None
    key = ReductionKey("handling", tuple(by), (windows, lo, hi), grain, (change, measure))
    red = Reductions.of(source)
    return _kept(red, key, lambda: _handling_counts(red, rollout, by, measure=measure,
                                                    grain=grain, lo=lo, hi=hi))
