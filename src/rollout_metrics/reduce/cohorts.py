"""Per-customer cohort patterns on the data's own engine: who was active when each period
started, and who contacted support within the period's window.

One group-by of the tickets per customer (a 0/1 column per period: a ticket created in the
window) is joined to the customers, and the customers are counted per segment and pattern:
at most ``4 ** periods`` rows per segment leave the engine.

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

from rollout_metrics.load.dataset import Dataset
from rollout_metrics.reduce.reduction import ReductionKey, Reductions
from rollout_metrics.reduce.segments import attach_segments
from rollout_metrics.rollout import Rollout

__all__ = ["cohort_windows", "contact_patterns"]

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
