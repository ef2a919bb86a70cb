"""Revenue metrics from the optional orders table: reference values from R
(``tests/r/average_check.R`` on the fixture written by ``tests/r/average_check_data.py``,
cases AC-1 to AC-5), the before-only cap, clustering by customer, bad amounts counted, the
same numbers on every engine, and what happens without orders or customers."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pytest

import rollout_metrics as rm
from rollout_metrics import DataValidationError, MissingColumnError
from rollout_metrics.comparison import default_metrics
from rollout_metrics.reduce.orders import order_cap

HERE = Path(__file__).parent / "r"
ROLLOUT = rm.Rollout("2025-09-01")
REVENUE = ["average_check", "average_check_uncapped", "revenue_per_customer",
           "orders_per_customer"]
Z = 1.959963984540054


def _frames() -> dict[str, pd.DataFrame]:
    return {"customers": pd.read_csv(HERE / "average_check_customers.csv", dtype=str,
                                     keep_default_na=False),
            "orders": pd.read_csv(HERE / "average_check_orders.csv", dtype=str,
                                  keep_default_na=False)}


@pytest.fixture(scope="module")
def data() -> rm.Dataset:
    return rm.load_dataset({"customers": HERE / "average_check_customers.csv",
                            "orders": HERE / "average_check_orders.csv"})


def _row(t: pd.DataFrame, metric: str, segment: str = "overall") -> pd.Series:
    return t[(t.metric == metric) & (t.segment == segment)].iloc[0]


# Rscript tests/r/average_check.R (R 4.2, sandwich 3.0): customers, before, after, SE, p.
R_CASES = [
    ("AC-1", "average_check_uncapped", "overall", None, (267, 281), 54.1115588235,
     54.9986574655, 5.7592202859, 0.8775852679),
    ("AC-2", "average_check", "std", 0.95, (175, 171), 46.1155615213, 47.4733979798,
     3.0671117742, 0.6579765922),
    ("AC-3", "revenue_per_customer", "overall", None, (384, 372), 58.7355432585,
     65.0419378771, 7.9784863822, 0.4292796419),
    ("AC-4", "orders_per_customer", "VIP", None, (148, 143), 96.3207937164, 116.1389565440,
     9.4479099733, 0.03593837218),
    # A user-defined metric on the customers table: the VIP share of active customers.
    ("AC-5", "vip_share", "overall", None, (384, 372), 38.5416666667, 38.4408602151,
     0.4525833007, 0.8237412261),
]


@pytest.mark.parametrize(("case", "metric", "segment", "winsorize", "n", "before", "after",
                          "se", "p"), R_CASES)
def test_matches_r(data: rm.Dataset, case: str, metric: str, segment: str,
                   winsorize: float | None, n: tuple[int, int], before: float, after: float,
                   se: float, p: float) -> None:
    if metric == "vip_share":
        rm.define_metric("vip_share", table="customers", kind="proportion", column="tier",
                         values=["VIP"], direction=1, replace=True)
    try:
        t = rm.compare(data, ROLLOUT, [metric], by="tier", winsorize=winsorize)
    finally:
        if metric == "vip_share":
            rm.unregister_metric("vip_share")
    _check_case(t, case, metric, segment, n, before, after, se, p)


def _check_case(t: pd.DataFrame, case: str, metric: str, segment: str, n: tuple[int, int],
                before: float, after: float, se: float, p: float) -> None:
    row = _row(t, metric, segment)
    assert (row.n_before, row.n_after) == n, case
    assert row.before == pytest.approx(before, rel=1e-9), case
    assert row.after == pytest.approx(after, rel=1e-9), case
    assert (row.ci_high - row.ci_low) / (2 * Z) == pytest.approx(se, rel=1e-8), case
    assert row.p_value == pytest.approx(p, rel=1e-7), case
    assert row.method == "ratio_of_sums_clustered_wald" and row.status == "ok"
    assert row.delta == pytest.approx(row.after - row.before, rel=1e-12)


def test_cap_is_the_before_quantile_and_the_after_period_cannot_move_it(
        data: rm.Dataset) -> None:
    # R: quantile(before amounts, 0.95, type = 7) = 124.856 (tests/r/average_check.R, AC-2)
    assert order_cap(data, ROLLOUT, 0.95) == pytest.approx(124.856, abs=1e-9)
    frames = _frames()
    orders = frames["orders"]
    after = pd.to_datetime(orders.ordered_at) >= pd.Timestamp("2025-09-01")
    boosted = orders.assign(amount=np.where(after, orders.amount.astype(float) * 100,
                                            orders.amount.astype(float)))
    other = rm.load_dataset({**frames, "orders": boosted})
    assert order_cap(other, ROLLOUT, 0.95) == pytest.approx(124.856, abs=1e-9)
    capped = _row(rm.compare(other, ROLLOUT, ["average_check"], winsorize=0.95),
                  "average_check")
    assert capped.after <= 124.856 + 1e-9


def test_capped_and_uncapped_differ_only_by_the_cap(data: rm.Dataset) -> None:
    t = rm.compare(data, ROLLOUT, ["average_check", "average_check_uncapped"], winsorize=1.0)
    a, b = _row(t, "average_check"), _row(t, "average_check_uncapped")
    assert (a.before, a.after, a.p_value) == pytest.approx((b.before, b.after, b.p_value))
    capped = _row(rm.compare(data, ROLLOUT, ["average_check"], winsorize=0.9), "average_check")
    assert capped.before < b.before and capped.ci_high - capped.ci_low < b.ci_high - b.ci_low


def test_clustering_by_customer_widens_the_interval(data: rm.Dataset) -> None:
    # Orders of one customer share the customer's level (the fixture's design): treating
    # them as independent orders (Welch on the orders) understates the variance.
    row = _row(rm.compare(data, ROLLOUT, ["average_check_uncapped"]), "average_check_uncapped")
    orders = _frames()["orders"]
    at = pd.to_datetime(orders.ordered_at)
    amount = orders.amount.astype(float)
    b = amount[(at >= "2025-07-07") & (at < "2025-09-01")]
    a = amount[(at >= "2025-09-01") & (at < "2025-10-27")]
    naive = float(np.sqrt(b.var() / len(b) + a.var() / len(a)))
    clustered = (row.ci_high - row.ci_low) / (2 * Z)
    assert row.before == pytest.approx(b.mean()) and row.after == pytest.approx(a.mean())
    assert clustered > 1.1 * naive  # 5.76 against 5.06


def test_bad_amounts_are_counted_not_dropped() -> None:
    frames = _frames()
    orders = frames["orders"].copy()
    orders.loc[0, "amount"] = "-5"
    orders.loc[1, "amount"] = ""
    orders.loc[2, "amount"] = "12,5"
    orders.loc[3, "customer_id"] = "NOBODY"
    orders.loc[4, "order_id"] = orders.loc[5, "order_id"]
    quality = {}
    for name, convert in (("pandas", lambda f: f), ("polars", pl.from_pandas),
                          ("duckdb", lambda f: duckdb.from_df(f))):
        d = rm.load_dataset({"customers": convert(frames["customers"]),
                             "orders": convert(orders)})
        q = d.quality[d.quality.table == "orders"]
        quality[name] = dict(zip(q.rule, q.rows, strict=True))
        rows = d.rows.set_index("table").loc["orders"]
        assert rows.rows_read == len(orders) and rows.rows_excluded == 6
    assert quality["pandas"] == {
        "unparseable amount": 1, "negative amount": 1, "missing amount": 1,
        "duplicate order_id": 2, "unknown customer_id (not in customers)": 1}
    assert quality["polars"] == quality["duckdb"] == quality["pandas"]


def test_orders_of_a_customer_without_active_days_still_count() -> None:
    # A customer who left before the windows but ordered inside them: the revenue stays in
    # the numerator (no active day joins the denominator), as complaints outside a customer's
    # active days still count as events; nothing given is left out.
    from rollout_metrics.reduce.orders import order_moments

    frames = _frames()
    customers = frames["customers"].copy()
    orders = frames["orders"]
    lo, hi = ROLLOUT.windows()["after"]
    at = pd.to_datetime(orders.ordered_at)
    inside = (at >= lo) & (at < hi)
    who = orders.customer_id[inside].iloc[0]
    customers.loc[customers.customer_id == who, ["signup_date", "churn_date"]] = [
        "2024-01-01", "2024-06-01"]
    data = rm.load_dataset({"customers": customers, "orders": orders})
    m = order_moments(data, ROLLOUT, [], value="amount", per="customer").iloc[0]
    assert m.y_after == pytest.approx(pd.to_numeric(orders.amount[inside]).sum(), rel=1e-12)
    before = order_moments(rm.load_dataset(frames), ROLLOUT, [], value="amount",
                           per="customer").iloc[0]
    assert m.y_after == pytest.approx(before.y_after, rel=1e-12)
    assert m.n_after < before.n_after and m.k_after == before.k_after - 1


def test_infinite_amount_is_excluded() -> None:
    frames = _frames()
    orders = frames["orders"].assign(amount=frames["orders"].amount.astype(float))
    orders.loc[0, "amount"] = np.inf
    d = rm.load_dataset({"customers": frames["customers"], "orders": orders})
    assert d.quality.set_index("rule").loc["amount not finite", "rows"] == 1


def test_same_numbers_on_every_engine(data: rm.Dataset) -> None:
    reference = rm.compare(data, ROLLOUT, REVENUE, by="tier")
    frames = _frames()
    for convert in (lambda f: f, pl.from_pandas, lambda f: duckdb.from_df(f)):
        d = rm.load_dataset({k: convert(v) for k, v in frames.items()})
        pd.testing.assert_frame_equal(rm.compare(d, ROLLOUT, REVENUE, by="tier"), reference,
                                      check_exact=False, rtol=1e-10, atol=1e-10)


@pytest.mark.spark
def test_same_numbers_on_spark(data: rm.Dataset, spark: Any) -> None:
    reference = rm.compare(data, ROLLOUT, REVENUE, by="tier")
    d = rm.load_dataset({k: spark.createDataFrame(v) for k, v in _frames().items()})
    pd.testing.assert_frame_equal(rm.compare(d, ROLLOUT, REVENUE, by="tier"), reference,
                                  check_exact=False, rtol=1e-10, atol=1e-10)


def test_without_orders_the_defaults_leave_them_out_silently(
        sample_frames: dict[str, pd.DataFrame]) -> None:
    d = rm.load_dataset({k: v for k, v in sample_frames.items() if k != "orders"})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        names = default_metrics(d)
    assert names and not set(names) & set(REVENUE)


def test_asked_for_by_name_without_orders_is_an_error() -> None:
    frames = _frames()
    d = rm.load_dataset({"customers": frames["customers"]})
    with pytest.raises(DataValidationError, match="no orders table"):
        rm.compare(d, ROLLOUT, ["average_check"])


def test_per_customer_metrics_need_customers_the_average_check_does_not() -> None:
    d = rm.load_dataset({"orders": HERE / "average_check_orders.csv"})
    row = _row(rm.compare(d, ROLLOUT, ["average_check_uncapped"]), "average_check_uncapped")
    assert row.before == pytest.approx(54.1115588235, rel=1e-9)
    with pytest.raises(MissingColumnError, match="customers table"):
        rm.compare(d, ROLLOUT, ["revenue_per_customer"])


def test_few_customers_are_not_tested(data: rm.Dataset) -> None:
    row = _row(rm.compare(data, ROLLOUT, ["average_check"], by="tier"), "average_check",
               "VIP")
    assert row.status == "insufficient_data" and np.isnan(row.p_value)


def test_winsorize_is_checked(data: rm.Dataset) -> None:
    with pytest.raises(DataValidationError, match="winsorize"):
        rm.compare(data, ROLLOUT, ["average_check"], winsorize=99.9)



def test_winsorize_in_the_toml_is_checked_like_compare(tmp_path: Any) -> None:
    from rollout_metrics.config import ConfigError, load_config

    path = tmp_path / "r.toml"
    path.write_text("[rollout]\nchange_date = 2025-09-01\n[analysis]\nwinsorize = 99.9\n",
                    encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[analysis\] winsorize must be a quantile between "
                       r"0.5 and 1"):
        load_config(path)
