"""Synthetic sample company with known effects, for examples, tests and benchmarks.

One year of a subscription business: customers in tiers (new/regular/VIP),
regions, plans and preferred channels; surveys (NPS and CSAT); support tickets
with weekly seasonality, log-normal handling times rounded to whole minutes
(ties), and overdispersed daily complaint counts.  New terms are announced three
weeks before they take effect.  Injected effects, written to ``truth.json``:

* NPS falls by 15 points for VIP customers only;
* complaints jump by 150% at the change and decay with a 14-day time constant
  (+37% on average over the 8-week after window);
* handling time on the phone channel is 1.5x slower after the change (the first response,
  the earlier of a reply and the resolution, is therefore slightly later on phone: about
  +2.8 minutes at the median (55 -> 57), too small to detect; no other first-response effect);
* contact volume (tickets per active customer) is unchanged;
* churn hazard triples during the announcement window (anticipatory churn), and
  is unchanged after the change;
* CSAT top-2-box has a pre-existing linear decline over the whole year and no
  change effect, so a naive before/after comparison is biased;
* orders (about 6 per active customer-year, their own random stream so the other tables do
  not depend on them): the average check falls by 15% for VIP customers only; orders per
  customer are unchanged.

A handful of bad rows (NPS 11, a survey from an unknown customer, a ticket
resolved before it was created, orders with a negative or no amount) are injected so the
data-quality section has something to show; they are listed in ``truth.json``.

Run ``python -m rollout_metrics.sample`` to rewrite the bundled sample (the package's
``_sample/`` folder, :data:`BUNDLED`), or ``--out DIR --tickets 10_000_000 --format parquet``
for benchmark data.

Examples
--------
>>> tables, truth = generate(seed=1, n_customers=200)
>>> sorted(tables), truth["change_date"]
(['customers', 'orders', 'surveys', 'tickets'], '2025-09-01')
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["BUNDLED", "generate", "main", "write"]

#: The bundled sample's folder, shipped inside the package (``load_sample`` reads it).
BUNDLED = Path(__file__).resolve().parent / "_sample"

START = dt.date(2025, 1, 1)
DAYS = 365
CHANGE = dt.date(2025, 9, 1)
ANNOUNCED = dt.date(2025, 8, 11)
TIERS = ("new", "regular", "VIP")
REGIONS = ("North", "South", "East", "West")
PLANS = ("basic", "plus", "pro")
CHANNELS = ("email", "phone", "chat", "sms", "social")
CATEGORIES = ("billing", "delivery", "account", "technical", "other")
# Median hours to resolve, by channel.
MEDIAN_HOURS = {"email": 20.0, "phone": 4.0, "chat": 2.0, "sms": 12.0, "social": 10.0}
NPS_BASE = {"new": (0.45, 0.33, 0.22), "regular": (0.50, 0.32, 0.18), "VIP": (0.58, 0.30, 0.12)}
NPS_VIP_AFTER = (0.50, 0.31, 0.19)  # promoters, passives, detractors: 15 points lower
COMPLAINT_JUMP, COMPLAINT_DECAY_DAYS = 1.5, 14.0
PHONE_SLOWDOWN = 1.5
CHURN_PER_30D = 0.015
ANTICIPATORY_CHURN = 3.0
CSAT_TOP2_START, CSAT_TOP2_SLOPE_PER_YEAR = 0.82, -0.15
WEEKDAY_WEIGHT = np.array([1.15, 1.1, 1.05, 1.05, 1.0, 0.6, 0.5])  # Mon..Sun
#: Median order amount by tier; a customer's own level (log-normal, sigma 0.4) and an order's
#: spread (log-normal, sigma 0.5) around it; 1% of orders x (1 + 5 Pareto(2.5)).
CHECK_MEDIAN = {"new": 35.0, "regular": 45.0, "VIP": 90.0}
VIP_CHECK_AFTER = 0.85
#: The orders' own random stream (``default_rng([seed, ORDER_STREAM])``).
ORDER_STREAM = 11


def _day(d: dt.date) -> int:
    return (d - START).days


def _complaint_multiplier(day: np.ndarray) -> np.ndarray:
    since = day - _day(CHANGE)
    return np.where(since >= 0, 1 + COMPLAINT_JUMP * np.exp(-since / COMPLAINT_DECAY_DAYS), 1.0)


def _csat_top2(day: np.ndarray) -> np.ndarray:
    return CSAT_TOP2_START + CSAT_TOP2_SLOPE_PER_YEAR * day / DAYS


def _timestamps(day: np.ndarray, rng: np.random.Generator) -> pd.Series:
    seconds = rng.integers(8 * 3600, 20 * 3600, size=day.size)
    base = np.datetime64(START.isoformat(), "s")
    return pd.Series(base + day.astype("timedelta64[D]") + seconds.astype("timedelta64[s]"))


def _customers(rng: np.random.Generator, n: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    tier = rng.choice(len(TIERS), size=n, p=[0.30, 0.55, 0.15])
    signup = np.where(
        tier == 0, rng.integers(-90, DAYS - 30, size=n), rng.integers(-6 * 365, -90, size=n)
    )
    # Piecewise-constant churn hazard by day; anticipatory churn during the announcement.
    hazard = np.full(DAYS, CHURN_PER_30D / 30)
    hazard[_day(ANNOUNCED):_day(CHANGE)] *= ANTICIPATORY_CHURN
    tier_mult = np.array([1.6, 1.0, 0.6])[tier]
    cum = np.concatenate([[0.0], np.cumsum(hazard)])
    first = np.clip(signup, 0, DAYS)
    target = cum[first] + rng.exponential(size=n) / tier_mult
    churn_day = np.searchsorted(cum, target) - 1  # day on which the hazard mass runs out
    churned = churn_day < DAYS
    frame = pd.DataFrame({
        "customer_id": np.arange(1, n + 1),
        "signup_date": pd.Series(np.datetime64(START.isoformat(), "D")
                                 + signup.astype("timedelta64[D]")).dt.strftime("%Y-%m-%d"),
        "churn_date": pd.Series(np.datetime64(START.isoformat(), "D")
                                + churn_day.astype("timedelta64[D]")).dt.strftime("%Y-%m-%d"),
        "tier": np.array(TIERS)[tier],
        "region": rng.choice(np.array(REGIONS), size=n, p=[0.3, 0.25, 0.25, 0.2]),
        "plan": rng.choice(np.array(PLANS), size=n, p=[0.5, 0.35, 0.15]),
        "preferred_channel": rng.choice(np.array(CHANNELS), size=n,
                                        p=[0.35, 0.25, 0.25, 0.05, 0.10]),
    })
    frame.loc[~churned, "churn_date"] = None
    end = np.where(churned, churn_day, DAYS)
    return frame, first, end


def _events(rng: np.random.Generator, first: np.ndarray, end: np.ndarray, per_year: float
            ) -> tuple[np.ndarray, np.ndarray]:
    """Event days per customer over its active span, weekly pattern by thinning."""
    span = np.maximum(end - first, 0)
    n = rng.poisson(per_year * span / DAYS * (1 / WEEKDAY_WEIGHT.mean()) * WEEKDAY_WEIGHT.max())
    owner = np.repeat(np.arange(first.size), n)
    day = first[owner] + np.floor(rng.random(owner.size) * span[owner]).astype(np.int64)
    weekday = (day + START.weekday()) % 7
    keep = rng.random(day.size) < WEEKDAY_WEIGHT[weekday] / WEEKDAY_WEIGHT.max()
    return owner[keep], day[keep]


def _surveys(rng: np.random.Generator, customers: pd.DataFrame, first: np.ndarray,
             end: np.ndarray, per_year: float) -> pd.DataFrame:
    owner, day = _events(rng, first, end, per_year)
    tier = customers["tier"].to_numpy()[owner]
    probs = np.array([NPS_BASE[t] for t in tier])
    vip_after = (tier == "VIP") & (day >= _day(CHANGE))
    probs[vip_after] = NPS_VIP_AFTER
    group = (rng.random(day.size)[:, None] > np.cumsum(probs, axis=1)).sum(axis=1)
    low = np.array([9, 7, 0])[group]
    high = np.array([10, 8, 6])[group]
    nps = rng.integers(low, high + 1).astype(float)
    top2 = rng.random(day.size) < _csat_top2(day)
    csat = np.where(top2, rng.choice([4, 5], size=day.size, p=[0.45, 0.55]),
                    rng.choice([1, 2, 3], size=day.size, p=[0.2, 0.3, 0.5])).astype(float)
    nps[rng.random(day.size) < 0.15] = np.nan
    csat[rng.random(day.size) < 0.20] = np.nan
    frame = pd.DataFrame({
        "customer_id": customers["customer_id"].to_numpy()[owner],
        "responded_at": _timestamps(day, rng),
        "nps_score": pd.array(nps, dtype="Int64"),
        "csat_score": pd.array(csat, dtype="Int64"),
        "touchpoint": rng.choice(np.array(["email", "app", "web"]), size=day.size),
    })
    return frame.sort_values("responded_at", kind="stable").reset_index(drop=True)


def _tickets(rng: np.random.Generator, customers: pd.DataFrame, first: np.ndarray,
             end: np.ndarray, per_year: float) -> pd.DataFrame:
    owner, day = _events(rng, first, end, per_year)
    preferred = customers["preferred_channel"].to_numpy()[owner]
    channel = np.where(rng.random(day.size) < 0.7, preferred,
                       rng.choice(np.array(CHANNELS), size=day.size))
    # Overdispersed complaints: a gamma multiplier shared by every ticket of a day.
    day_noise = rng.gamma(6.0, 1 / 6.0, size=DAYS)
    p_complaint = np.clip(0.12 * day_noise[day] * _complaint_multiplier(day), 0, 1)
    created = _timestamps(day, rng)
    median = np.array([MEDIAN_HOURS[c] for c in CHANNELS])[pd.Index(CHANNELS).get_indexer(pd.Index(channel))]
    median = np.where((channel == "phone") & (day >= _day(CHANGE)), median * PHONE_SLOWDOWN,
                      median)
    minutes = np.maximum(1, np.round(60 * median * np.exp(rng.normal(0, 1.0, day.size))))
    reply = np.maximum(1, np.round(60 * np.exp(rng.normal(0, 1, day.size))))
    first_min = np.minimum(minutes, reply)
    resolved = created + pd.to_timedelta(minutes, unit="min")
    data_end = pd.Timestamp(START) + pd.Timedelta(days=DAYS)
    resolved = resolved.where(resolved < data_end)
    frame = pd.DataFrame({
        "ticket_id": np.arange(1, day.size + 1),
        "customer_id": customers["customer_id"].to_numpy()[owner],
        "created_at": created,
        "first_response_at": created + pd.to_timedelta(first_min, unit="min"),
        "resolved_at": resolved,
        "channel": channel,
        "is_complaint": rng.random(day.size) < p_complaint,
        "category": rng.choice(np.array(CATEGORIES), size=day.size, p=[.3, .2, .2, .2, .1]),
    })
    frame = frame.sort_values("created_at", kind="stable").reset_index(drop=True)
    frame["ticket_id"] = np.arange(1, len(frame) + 1)
    return frame


def _orders(seed: int, customers: pd.DataFrame, first: np.ndarray, end: np.ndarray,
            per_year: float, bad_rows: bool) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    rng = np.random.default_rng([seed, ORDER_STREAM])
    owner, day = _events(rng, first, end, per_year)
    tier = customers["tier"].to_numpy()[owner]
    level = rng.lognormal(0.0, 0.4, len(customers))
    median = np.array([CHECK_MEDIAN[t] for t in TIERS])[pd.Index(TIERS).get_indexer(
        pd.Index(tier))]
    amount = median * level[owner] * rng.lognormal(0.0, 0.5, owner.size)
    heavy = rng.random(owner.size) < 0.01
    amount[heavy] *= 1.0 + 5.0 * rng.pareto(2.5, int(heavy.sum()))
    amount[(tier == "VIP") & (day >= _day(CHANGE))] *= VIP_CHECK_AFTER
    frame = pd.DataFrame({
        "order_id": np.arange(owner.size),
        "customer_id": customers["customer_id"].to_numpy()[owner],
        "ordered_at": _timestamps(day, rng),
        "amount": np.round(amount, 2),
    })
    frame = frame.sort_values("ordered_at", kind="stable").reset_index(drop=True)
    frame["order_id"] = [f"ORD-{i:06d}" for i in range(1, len(frame) + 1)]
    issues: list[dict[str, Any]] = []
    if bad_rows and len(frame) > 10:
        bad = rng.choice(frame.index, 3, replace=False)
        frame.loc[bad[:2], "amount"] = -frame.loc[bad[:2], "amount"]
        frame.loc[bad[2], "amount"] = np.nan
        issues = [{"table": "orders", "rule": "negative amount", "rows": 2},
                  {"table": "orders", "rule": "missing amount", "rows": 1}]
    return frame, issues


def _inject_bad_rows(tables: dict[str, pd.DataFrame], rng: np.random.Generator
                     ) -> list[dict[str, Any]]:
    surveys, tickets = tables["surveys"], tables["tickets"]
    bad_nps = rng.choice(surveys.index[surveys["nps_score"].notna()], 4, replace=False)
    surveys.loc[bad_nps, "nps_score"] = 11
    unknown = rng.choice(surveys.index.difference(pd.Index(bad_nps)), 3, replace=False)
    surveys.loc[unknown, "customer_id"] = tables["customers"]["customer_id"].max() + 1000
    backwards = rng.choice(tickets.index[tickets["resolved_at"].notna()], 3, replace=False)
    tickets.loc[backwards, "resolved_at"] = (
        tickets.loc[backwards, "created_at"] - pd.Timedelta(hours=2)
    )
    return [
        {"table": "surveys", "rule": "nps_score outside 0-10", "rows": 4},
        {"table": "surveys", "rule": "unknown customer_id (not in customers)", "rows": 3},
        {"table": "tickets", "rule": "resolved_at before created_at", "rows": 3},
    ]


def _first_response_median_hours(resolve_median_hours: float) -> float:
    """Population median of min(reply, resolution): both log-normal with sigma 1, reply median
    1 hour (the generator's ``first_min``), by bisection on the product of survivals."""
    def survival(t: float, median: float) -> float:
        return 0.5 * math.erfc(math.log(t / median) / math.sqrt(2.0))

    lo, hi = 1e-6, 1.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if survival(mid, 1.0) * survival(mid, resolve_median_hours) > 0.5:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _truth(surveys_per_year: float) -> dict[str, Any]:
    def window(start: dt.date, days: int) -> list[str]:
        return [start.isoformat(), (start + dt.timedelta(days=days)).isoformat()]

    after_days = np.arange(_day(CHANGE), _day(CHANGE) + 56)
    complaint_ratio = float(_complaint_multiplier(after_days).mean())
    before_mid = _day(ANNOUNCED) - 28
    after_mid = _day(CHANGE) + 28
    csat_bias = 100 * CSAT_TOP2_SLOPE_PER_YEAR * (after_mid - before_mid) / DAYS
    nps = {t: 100 * (p[0] - p[2]) for t, p in NPS_BASE.items()}
    return {
        "change_date": CHANGE.isoformat(),
        "announced": ANNOUNCED.isoformat(),
        "windows": {"before": window(ANNOUNCED - dt.timedelta(days=56), 56),
                    "transition": window(ANNOUNCED, 21), "after": window(CHANGE, 56)},
        "effects": [
            {"metric": "nps", "by": "tier", "segment": "VIP", "comparison": "after_vs_before",
             "delta": round(100 * (NPS_VIP_AFTER[0] - NPS_VIP_AFTER[2]) - nps["VIP"], 9),
             "units": "NPS points"},
            *({"metric": "nps", "by": "tier", "segment": t, "comparison": "after_vs_before",
               "delta": 0.0, "units": "NPS points"} for t in ("new", "regular")),
            {"metric": "csat", "by": None, "segment": "overall", "comparison": "after_vs_before",
             "delta": 0.0, "naive_expected_delta": csat_bias, "units": "percentage points",
             "note": "pre-existing linear decline of the top-2-box share, "
                     f"{100 * CSAT_TOP2_SLOPE_PER_YEAR:g} points per year; no change effect"},
            {"metric": "complaints", "by": None, "segment": "overall",
             "comparison": "after_vs_before", "ratio": complaint_ratio,
             "note": "jump of +150% at the change decaying with a 14-day time constant"},
            {"metric": "handling_time", "by": "channel", "segment": "phone",
             "comparison": "after_vs_before", "ratio": PHONE_SLOWDOWN,
             "delta": MEDIAN_HOURS["phone"] * (PHONE_SLOWDOWN - 1),
             "units": "hours (population median)"},
            *({"metric": "handling_time", "by": "channel", "segment": c,
               "comparison": "after_vs_before", "ratio": 1.0, "delta": 0.0,
               "units": "hours (population median)"} for c in CHANNELS if c != "phone"),
            {"metric": "churn", "by": None, "segment": "overall",
             "comparison": "transition_vs_before", "ratio": ANTICIPATORY_CHURN},
            {"metric": "churn", "by": None, "segment": "overall",
             "comparison": "after_vs_before", "ratio": 1.0},
            *({"metric": "contact_rate", "by": None, "segment": "overall", "comparison": c,
               "ratio": 1.0, "delta": 0.0, "note": "tickets per active customer-year are "
               "constant; complaints are a larger share of the same tickets"}
              for c in ("after_vs_before", "transition_vs_before")),
            *({"metric": m, "by": "tier", "segment": t, "comparison": "after_vs_before",
               "ratio": VIP_CHECK_AFTER if t == "VIP" else 1.0,
               "units": "ratio after / before of the population mean",
               "note": "order amounts x 0.85 for VIP after the change" if t == "VIP"
               else "no effect"}
              for m in ("average_check", "average_check_uncapped", "revenue_per_customer")
              for t in TIERS),
            {"metric": "average_check", "by": None, "segment": "overall",
             "comparison": "after_vs_before",
             "note": "falls through VIP alone: VIP orders are about 15% of the orders and "
                     "30% of the revenue, so the overall average check falls by about 5%"},
            {"metric": "orders_per_customer", "by": None, "segment": "overall",
             "comparison": "after_vs_before", "ratio": 1.0,
             "note": "orders per active customer-year are constant"},
            *({"metric": "first_response_time", "by": "channel", "segment": c,
               "comparison": "after_vs_before",
               "delta": (_first_response_median_hours(MEDIAN_HOURS[c] * PHONE_SLOWDOWN)
                         - _first_response_median_hours(MEDIAN_HOURS[c])) if c == "phone"
               else 0.0,
               "units": "hours (population median)",
               "note": "not injected: first response = min(reply, resolution), so the slower "
                       "phone resolution lengthens the phone first-response median slightly"
                       if c == "phone" else "no effect"} for c in CHANNELS),
        ],
        "surveys_per_customer_year": surveys_per_year,
    }


def generate(
    seed: int = 3,
    n_customers: int = 5000,
    surveys_per_year: float = 8.0,
    tickets_per_year: float = 10.0,
    bad_rows: bool = True,
    orders_per_year: float = 6.0,
) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Generate the tables and the truth about the injected effects.

    Parameters
    ----------
    seed
        Seed of the random generator; the same seed gives the same tables.
    n_customers
        Customers active at some point in the year.
    surveys_per_year, tickets_per_year, orders_per_year
        Mean survey responses, tickets and orders per active customer-year (orders 0: no
        orders table).
    bad_rows
        Inject a few rule-breaking rows so the data-quality report has content.

    Returns
    -------
    tables, truth
        ``{"customers": ..., "surveys": ..., "tickets": ..., "orders": ...}`` as pandas
        frames, and the
        dict written to ``truth.json``.
    """
    rng = np.random.default_rng(seed)
    customers, first, end = _customers(rng, n_customers)
    tables = {
        "customers": customers,
        "surveys": _surveys(rng, customers, first, end, surveys_per_year),
        "tickets": _tickets(rng, customers, first, end, tickets_per_year),
    }
    truth = _truth(surveys_per_year)
    truth["seed"] = seed
    truth["n_customers"] = n_customers
    truth["injected_quality_issues"] = _inject_bad_rows(tables, rng) if bad_rows else []
    if orders_per_year > 0:
        tables["orders"], issues = _orders(seed, customers, first, end, orders_per_year,
                                           bad_rows)
        truth["injected_quality_issues"] += issues
        truth["orders_per_customer_year"] = orders_per_year
    return tables, truth


def write(tables: dict[str, pd.DataFrame], truth: dict[str, Any], out: Path,
          fmt: str = "csv") -> None:
    """Write the tables (CSV or Parquet) and ``truth.json`` to ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        if fmt == "parquet":
            frame.to_parquet(out / f"{name}.parquet", index=False)
        else:
            frame.to_csv(out / f"{name}.csv", index=False, date_format="%Y-%m-%d %H:%M:%S")
    (out / "truth.json").write_text(json.dumps(truth, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m rollout_metrics.sample [--out DIR] [--tickets N]``.

    ``--out`` defaults to :data:`BUNDLED`, the sample shipped with the package.
    """
    parser = argparse.ArgumentParser(prog="python -m rollout_metrics.sample",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=None,
                        help=f"output folder (default: the bundled sample, {BUNDLED}; "
                             "required with --tickets or --format parquet)")
    parser.add_argument("--format", choices=["csv", "parquet"], default="csv")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--customers", type=int, default=None)
    parser.add_argument("--tickets", type=lambda s: int(s.replace("_", "")), default=None,
                        help="target ticket count; sets 1 customer per 10 tickets and "
                             "2 surveys per customer (benchmark shape)")
    args = parser.parse_args(argv)
    if args.out is None:
        if args.tickets or args.format != "csv":
            parser.error("--out is required with --tickets or --format parquet "
                         "(the bundled sample is the default shape, as CSV)")
        args.out = BUNDLED
    if args.tickets:
        n = args.customers or math.ceil(args.tickets / 10 * 1.12)
        tables, truth = generate(args.seed, n, surveys_per_year=2.2, tickets_per_year=11.0,
                                 bad_rows=False, orders_per_year=0.0)
    else:
        tables, truth = generate(args.seed, args.customers or 5000)
    write(tables, truth, args.out, args.format)
    counts = ", ".join(f"{k} {len(v):,}" for k, v in tables.items())
    print(f"wrote {counts} to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
