"""Per-customer patterns on the data's own engine, for the metrics whose inference is
clustered by customer.

Contact share: who was active when each period started, and who contacted support within the
period's window.  One group-by of the tickets per customer (a 0/1 column per period: a ticket
created in the window) is joined to the customers, and the customers are counted per segment
and pattern: at most ``4 ** periods`` rows per segment leave the engine.

Repeat contacts: each ticket's next ticket from the same customer (a window function over the
customer's tickets, ordered by creation), whether it came within ``days``, then per customer
and period the eligible tickets and the followed ones, and the customers counted per segment
and pattern of those counts.

Examples
--------
>>> import rollout_metrics as rm
>>> t = contact_patterns(rm.load_sample(), rm.Rollout("2025-09-01"), [])
>>> list(t.columns)
['in_before', 'did_before', 'in_after', 'did_after', 'customers']
>>> int(t.loc[t.in_before == 1, "customers"].sum())  # active on 2025-07-07
4086
"""

from __future__ import annotations

import datetime as dt

import narwhals as nw
import numpy as np
import pandas as pd

from rollout_metrics._engine.cast import with_seconds_between
from rollout_metrics.load.dataset import Dataset
from rollout_metrics.reduce.reduction import ReductionKey, Reductions
from rollout_metrics.reduce.segments import attach_segments
from rollout_metrics.rollout import Rollout

__all__ = ["cohort_windows", "contact_patterns", "repeat_patterns", "repeat_windows"]

DAY = dt.timedelta(days=1)


def cohort_windows(rollout: Rollout) -> dict[str, tuple[dt.datetime, dt.datetime]]:
    """Each period's cohort window: its first ``L`` days, ``L`` the shortest period of the
    rollout, so the shares of every comparison cover windows of one length.

    Examples
    --------
    >>> w = cohort_windows(Rollout("2025-09-01", announced="2025-08-11"))
    >>> {p: (a.date().isoformat(), b.date().isoformat()) for p, (a, b) in w.items()}
    {'before': ('2025-06-16', '2025-07-07'), 'transition': ('2025-08-11', '2025-09-01'), 'after': ('2025-09-01', '2025-09-22')}
    """
    windows = rollout.windows()
    length = min((end - start).days for start, end in windows.values())
    return {p: (start, start + length * DAY) for p, (start, _) in windows.items()}


def _patterns(red: Reductions, rollout: Rollout, by: list[str]) -> pd.DataFrame:
    windows = cohort_windows(rollout)
    customers = attach_segments(red, "customers", by, rollout, metric="contact_share").frame
    names = customers.collect_schema().names()
    tickets = red.data.table("tickets")
    contacted = tickets.select(
        nw.col("customer_id").cast(customers.collect_schema()["customer_id"]),
        *[((nw.col("created_at") >= lo) & (nw.col("created_at") < hi)).cast(nw.Int64)
          .alias(f"did_{p}") for p, (lo, hi) in windows.items()],
    ).group_by("customer_id").agg(*[nw.col(f"did_{p}").max() for p in windows])
    churn = (nw.col("churn_date") if "churn_date" in names
             else nw.lit(None, nw.Datetime("us")))
    # Active on the window's first day d: signup day <= d < churn day (whole days).
    flags = [
        ((nw.col("signup_date") < lo + DAY) & (churn.is_null() | (churn >= lo + DAY)))
        .cast(nw.Int64).alias(f"in_{p}") for p, (lo, _) in windows.items()
    ]
    columns = [c for p in windows for c in (f"in_{p}", f"did_{p}")]
    joined = (customers.select("customer_id", *by, *flags)
              .join(contacted, on="customer_id", how="left")
              .with_columns(*[nw.col(f"did_{p}").fill_null(0).cast(nw.Int64) for p in windows],
                            nw.lit(1).cast(nw.Int64).alias("one")))
    counts = (joined.filter(nw.sum_horizontal(*[nw.col(f"in_{p}") for p in windows]) > 0)
              .with_columns(*[(nw.col(f"did_{p}") * nw.col(f"in_{p}")).alias(f"did_{p}")
                              for p in windows])
              .group_by(*by, *columns).agg(nw.col("one").sum().alias("customers")))
    out: pd.DataFrame = counts.with_columns(
        *[nw.col(c).cast(nw.Int64) for c in [*columns, "customers"]]).collect().to_pandas()
    for c in [*columns, "customers"]:
        out[c] = pd.to_numeric(out[c]).astype(np.int64)
    return out.sort_values([*by, *columns], kind="stable").reset_index(drop=True)[
        [*by, *columns, "customers"]]


def contact_patterns(source: Dataset | Reductions, rollout: Rollout, by: list[str]
                     ) -> pd.DataFrame:
    """Customers per segment and pattern: ``*by``, then per period ``in_<period>`` (active on
    the first day of the period's cohort window, :func:`cohort_windows`) and ``did_<period>``
    (in that cohort and created a ticket in the window), and ``customers``.  Customers in no
    cohort are left out.  Computed once per dataset and arguments.
    """
    red = Reductions.of(source)
    change = rollout.change_date if "tenure_band" in by else None
    key = ReductionKey("contact_patterns", tuple(by), tuple(cohort_windows(rollout).items()),
                       "period", (change,))
    result: pd.DataFrame = red.get(key, lambda: _patterns(red, rollout, by))
    return result.copy()


def repeat_windows(rollout: Rollout, days: int, data_end: dt.datetime
                   ) -> dict[str, tuple[dt.datetime, dt.datetime]]:
    """Each period's eligible creation times for repeat contacts: ``[start, min(end,
    data_end) - days)``, so every counted ticket had its full ``days`` to be followed up
    inside the period and the data (an empty range when the period is shorter).

    Examples
    --------
    >>> w = repeat_windows(Rollout("2025-09-01"), 7, dt.datetime(2025, 12, 31))
    >>> {p: (a.date().isoformat(), b.date().isoformat()) for p, (a, b) in w.items()}
    {'before': ('2025-07-07', '2025-08-25'), 'after': ('2025-09-01', '2025-10-20')}
    """
    out = {}
    for p, (start, end) in rollout.windows().items():
        stop = min(end, data_end) - days * DAY
        out[p] = (start, max(start, stop))
    return out


def _repeats(red: Reductions, rollout: Rollout, by: list[str], days: int) -> pd.DataFrame:
    _, data_end = red.data.time_range("tickets")
    windows = repeat_windows(rollout, days, data_end)
    seg = attach_segments(red, "tickets", by, rollout, metric="repeat_contacts")
    # The next ticket over all of the customer's tickets, before any period filter.
    frame = seg.frame.with_columns(
        nw.col("created_at").shift(-1)
        .over("customer_id", order_by=["created_at", "ticket_id"]).alias("__next"))
    frame = with_seconds_between(frame, "__gap", "__next", "created_at")
    followed = (nw.col("__gap") <= days * 86400.0).fill_null(False)
    helpers = []
    for p, (lo, hi) in windows.items():
        eligible = (nw.col("created_at") >= lo) & (nw.col("created_at") < hi)
        helpers += [eligible.cast(nw.Int64).alias(f"n_{p}"),
                    (eligible & followed).cast(nw.Int64).alias(f"r_{p}")]
    columns = [c for p in windows for c in (f"n_{p}", f"r_{p}")]
    per_customer = (frame.with_columns(*helpers)
                    .group_by("customer_id", *seg.keys)
                    .agg(*[nw.col(c).sum() for c in columns])
                    .filter(nw.sum_horizontal(*[nw.col(f"n_{p}") for p in windows]) > 0)
                    .with_columns(nw.lit(1).cast(nw.Int64).alias("one")))
    counts = (per_customer.group_by(*seg.keys, *columns)
              .agg(nw.col("one").sum().alias("customers"))
              .with_columns(*[nw.col(c).cast(nw.Int64) for c in [*columns, "customers"]]))
    out = counts.collect().to_pandas()
    for c in [*columns, "customers"]:
        out[c] = pd.to_numeric(out[c]).astype(np.int64)
    if "__seg" in out.columns:
        out["__seg"] = pd.to_numeric(out["__seg"]).fillna(-1).astype(np.int64)
    return seg.decode(out, [*by, *columns])[[*by, *columns, "customers"]]


def repeat_patterns(source: Dataset | Reductions, rollout: Rollout, by: list[str],
                    days: int = 7) -> pd.DataFrame:
    """Customers per segment and pattern of repeat-contact counts: ``*by``, then per period
    ``n_<period>`` (the customer's tickets created in the period's eligible range,
    :func:`repeat_windows`) and ``r_<period>`` (those followed by another ticket of the same
    customer within ``days`` days), and ``customers``.  Customers without an eligible ticket
    are left out.  Computed once per dataset and arguments.

    Examples
    --------
    >>> import rollout_metrics as rm
    >>> t = repeat_patterns(rm.load_sample(), rm.Rollout("2025-09-01"), [])
    >>> int((t.n_before * t.customers).sum()), int((t.r_before * t.customers).sum())
    (5678, 1013)
    """
    red = Reductions.of(source)
    change = rollout.change_date if "tenure_band" in by else None
    key = ReductionKey("repeat_patterns", tuple(by), tuple(rollout.windows().items()),
                       "period", (change, days))
    result: pd.DataFrame = red.get(key, lambda: _repeats(red, rollout, by, days))
    return result.copy()
