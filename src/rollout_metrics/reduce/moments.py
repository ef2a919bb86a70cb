"""Per-segment sums of per-customer variables and their products, on the data's own engine.

A ratio of two sums over customers, ``R_p = Σ y_ip / Σ n_ip`` per period ``p``, has a
variance clustered by customer that needs, per segment, the sums of ``y_p``, ``n_p`` and of
every product of two of them over the periods (periods share customers).  The revenue
metrics (:mod:`rollout_metrics.reduce.orders`) and the share of a customer's tickets at or
below a quantile (:mod:`rollout_metrics.reduce.quantiles`) both hand a per-customer frame to
:func:`customer_moments`; one row per segment leaves the engine.

Examples
--------
>>> import narwhals as nw, pandas as pd
>>> per_customer = nw.from_native(pd.DataFrame({
...     "customer_id": [1, 2], "y_before": [1.0, 2.0], "n_before": [2.0, 2.0],
...     "y_after": [0.0, 1.0], "n_after": [1.0, 1.0]})).lazy()
>>> m = customer_moments(per_customer, [], ["before", "after"], None, [])
>>> m[["customers", "y_before", "n_before", "y_before*y_before", "y_before*y_after"]
...   ].to_dict("records")
[{'customers': 2, 'y_before': 3.0, 'n_before': 4.0, 'y_before*y_before': 5.0, 'y_before*y_after': 2.0}]
"""

from __future__ import annotations

from typing import Any

import narwhals as nw
import pandas as pd

from rollout_metrics.reduce.segments import Segmented

__all__ = ["customer_moments", "moment_names", "other_numerator"]


def moment_names(periods: tuple[str, ...] | list[str]) -> list[str]:
    """The per-customer variables (``y_<p>``, ``n_<p>``) and their pairwise products
    (``<a>*<b>``), in the order of the reduced columns.

    Examples
    --------
    >>> moment_names(["before", "after"])[:5]
    ['y_before', 'n_before', 'y_after', 'n_after', 'y_before*y_before']
    """
    names = [f"{x}_{p}" for p in periods for x in ("y", "n")]
    return names + [f"{a}*{b}" for i, a in enumerate(names) for b in names[i:]]


def other_numerator(names: list[str], x: str) -> list[str]:
    """The moment ``names`` that involve ``y``, with ``x`` in its place (the products of
    ``n`` alone are the same for every numerator).

    Examples
    --------
    >>> other_numerator(moment_names(["before"]), "a")
    ['a_before', 'a_before*a_before', 'a_before*n_before']
    """
    return [n.replace("y_", f"{x}_") for n in names if "y_" in n]


def customer_moments(per_customer: nw.LazyFrame[Any], keys: list[str], periods: list[str],
                     seg: Segmented | None, by: list[str], extra: tuple[str, ...] = ()
                     ) -> pd.DataFrame:
    """Per segment (``keys`` of ``per_customer``, one row per customer and segment):
    ``customers`` (with a unit or a numerator in some period), ``k_<p>`` (customers with a
    unit in ``p``) and the sums of :func:`moment_names`; segment codes decoded by ``seg``.
    Each prefix ``x`` of ``extra`` is another numerator ``x_<p>`` over the same ``n_<p>``:
    its sums (:func:`other_numerator`) are added as columns, from the same aggregation.

    A customer with no unit in any period still counts when it adds to a numerator (orders
    of a customer outside its active days): the ratio keeps every row it was given.
    """
    names = moment_names(periods)
    more = [n for x in extra for n in other_numerator(names, x)]
    variables = [*names[:2 * len(periods)], *[n for n in more if "*" not in n]]
    product_names = [*names[2 * len(periods):], *[n for n in more if "*" in n]]
    products = [nw.col(a) * nw.col(b) if a != b else nw.col(a) ** 2
                for a, b in (n.split("*") for n in product_names)]
    units = nw.sum_horizontal(*[nw.col(f"n_{p}").abs() + nw.col(f"y_{p}").abs()
                                for p in periods])
    helpers = (per_customer.filter(units > 0)
               .with_columns(*[e.alias(f"__m{i}") for i, e in enumerate(products)],
                             *[(nw.col(f"n_{p}") > 0).cast(nw.Int64).alias(f"k_{p}")
                               for p in periods],
                             nw.lit(1).cast(nw.Int64).alias("__one")))
    sums = [nw.col("__one").sum().alias("customers"),
            *[nw.col(f"k_{p}").sum() for p in periods],
            *[nw.col(v).sum() for v in variables],
            *[nw.col(f"__m{i}").sum() for i in range(len(products))]]
    reduced = helpers.group_by(*keys).agg(*sums) if keys else helpers.select(*sums)
    out = reduced.collect().to_pandas().rename(
        columns={f"__m{i}": n for i, n in enumerate(product_names)})
    counts = ["customers", *[f"k_{p}" for p in periods]]
    for c in counts:
        out[c] = pd.to_numeric(out[c]).fillna(0).astype("int64")
    for c in [*names, *more]:
        out[c] = pd.to_numeric(out[c]).astype("float64")
    if "__seg" in out.columns and seg is not None:
        out["__seg"] = pd.to_numeric(out["__seg"]).fillna(-1).astype("int64")
        out = seg.decode(out, list(by))
    elif by:
        out = out.sort_values(list(by), kind="stable").reset_index(drop=True)
    return out[[*by, *counts, *names, *more]]
