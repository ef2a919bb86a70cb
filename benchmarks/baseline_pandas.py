"""A straightforward pandas implementation of ``compare``: the baseline.

Reads the Parquet files with pandas, then for the overall row and every
tier × region × plan cell filters the raw rows with a boolean mask and runs the
tests on raw arrays: NPS adjusted Wald, two-proportion z for CSAT
(statsmodels), exact conditional Poisson for churn on customer-days at risk
(scipy ``binomtest``), the package's ``rate_test_auto`` on a daily frame for
complaints, and for handling time the median difference with
``scipy.stats.mannwhitneyu`` and a bootstrap of medians from the raw arrays.

``python benchmarks/baseline_pandas.py --tickets 1_000_000 --check`` also runs
``compare`` and prints the largest absolute difference per metric.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.proportion import proportions_ztest

import rollout_metrics as rm
from rollout_metrics.infer.rates import rate_test_auto

sys.path.insert(0, str(Path(__file__).resolve().parent))
from data import ensure, parse_count

BY = ["tier", "region", "plan"]
ROLLOUT = rm.Rollout("2025-09-01", announced="2025-08-11")
COMPARISONS = (("after_vs_before", "before", "after"),
               ("transition_vs_before", "before", "transition"))
SCALE = {"nps": 100.0, "csat": 100.0, "churn": 3000.0, "complaints": 30000.0,
         "handling_time": 1 / 60}
MIN_N = 30
DAY = pd.Timedelta(days=1)


def read(folder: Path) -> dict[str, pd.DataFrame]:
    """Read the three tables; attach the customer segments to surveys and tickets."""
    cust = pd.read_parquet(folder / "customers.parquet")
    cust["signup_date"] = pd.to_datetime(cust["signup_date"])
    cust["churn_date"] = pd.to_datetime(cust["churn_date"])
    seg = cust[["customer_id", *BY]]
    surveys = pd.read_parquet(folder / "surveys.parquet").merge(seg, on="customer_id")
    tickets = pd.read_parquet(folder / "tickets.parquet").merge(seg, on="customer_id")
    return {"customers": cust, "surveys": surveys, "tickets": tickets}


def day_number(ts: pd.Series, origin: pd.Timestamp) -> np.ndarray:
    return np.floor((ts - origin) / DAY).to_numpy(dtype=float)


def window_days(origin: pd.Timestamp) -> dict[str, tuple[int, int]]:
    return {p: ((pd.Timestamp(lo) - origin).days, (pd.Timestamp(hi) - origin).days)
            for p, (lo, hi) in ROLLOUT.windows().items()}


def prepare(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Day numbers from the start of ``before``; customers outside the span dropped."""
    origin = pd.Timestamp(ROLLOUT.span[0])
    n_days = (pd.Timestamp(ROLLOUT.span[1]) - origin).days
    cust = tables["customers"]
    keep = (cust["signup_date"] < pd.Timestamp(ROLLOUT.span[1])) & (
        cust["churn_date"].isna() | (cust["churn_date"] >= origin))
    cust = cust[keep].copy()
    cust["first"] = np.clip(day_number(cust["signup_date"], origin), 0, None)
    last = day_number(cust["churn_date"], origin)
    cust["churned"] = ~np.isnan(last) & (last < n_days)
    cust["last"] = np.where(np.isnan(last), n_days, np.minimum(last, n_days))
    surveys = tables["surveys"].assign(day=day_number(tables["surveys"]["responded_at"], origin))
    tickets = tables["tickets"].assign(day=day_number(tables["tickets"]["created_at"], origin))
    tickets["minutes"] = ((tickets["resolved_at"] - tickets["created_at"]).dt.total_seconds()
                          / 60).round(0)
    return {"customers": cust, "surveys": surveys, "tickets": tickets, "n_days": n_days}  # type: ignore[dict-item]


def in_period(day: pd.Series, win: tuple[int, int]) -> pd.Series:
    return (day >= win[0]) & (day < win[1])


# ---------------------------------------------------------------- metrics on raw rows
def nps_test(b: pd.Series, a: pd.Series) -> dict[str, float]:
    def parts(s: pd.Series) -> tuple[float, float, float]:
        s = s.dropna()
        return float((s >= 9).sum()), float(((s >= 7) & (s <= 8)).sum()), float((s <= 6).sum())

    def mean_var(p: float, m: float, d: float) -> tuple[float, float, float]:
        n = p + m + d
        score = (p - d) / n
        return score, (p + d) / n - score**2, n

    (pb, mb, db), (pa, ma, da) = parts(b), parts(a)
    sb, _, nb = mean_var(pb, mb, db)
    sa, _, na = mean_var(pa, ma, da)
    out = {"before": sb, "after": sa, "delta": sa - sb, "n_b": nb, "n_a": na,
           "p_value": math.nan}
    if min(nb, na) < MIN_N:
        return out
    adj_b, var_b, adj_nb = mean_var(pb + 0.75, mb + 1.5, db + 0.75)
    adj_a, var_a, adj_na = mean_var(pa + 0.75, ma + 1.5, da + 0.75)
    centre = adj_a - adj_b
    z = centre / math.sqrt(var_b / adj_nb + var_a / adj_na)
    raw = sa - sb
    out["p_value"] = 1.0 if raw * centre <= 0 else float(2 * stats.norm.sf(abs(z)))
    return out


def csat_test(b: pd.Series, a: pd.Series) -> dict[str, float]:
    b, a = b.dropna(), a.dropna()
    xb, xa, nb, na = int((b >= 4).sum()), int((a >= 4).sum()), len(b), len(a)
    out = {"before": xb / nb, "after": xa / na, "delta": xa / na - xb / nb,
           "n_b": nb, "n_a": na, "p_value": math.nan}
    if min(nb, na) >= MIN_N:
        out["p_value"] = float(proportions_ztest([xa, xb], [na, nb])[1])
    return out


def exposure(cust: pd.DataFrame, win: tuple[int, int]) -> tuple[int, float]:
    """Churn events and customer-days at risk in the half-open day window."""
    lo = np.maximum(cust["first"].to_numpy(), win[0])
    hi = np.minimum(cust["last"].to_numpy(), win[1])
    days = float(np.clip(hi - lo, 0, None).sum())
    events = int((cust["churned"] & in_period(cust["last"], win)).sum())
    return events, days


def churn_test(cust: pd.DataFrame, wb: tuple[int, int], wa: tuple[int, int]
               ) -> dict[str, float]:
    (yb, eb), (ya, ea) = exposure(cust, wb), exposure(cust, wa)
    out = {"before": yb / eb, "after": ya / ea, "delta": ya / ea - yb / eb,
           "n_b": yb, "n_a": ya, "p_value": math.nan}
    if min(yb, ya) >= MIN_N:
        out["p_value"] = float(stats.binomtest(ya, ya + yb, ea / (ea + eb)).pvalue)
    return out


def active_per_day(cust: pd.DataFrame, n_days: int) -> np.ndarray:
    joins = np.bincount(cust["first"].to_numpy(int), minlength=n_days + 1)[:n_days]
    leaves = np.bincount(cust["last"].to_numpy(int), minlength=n_days + 1)[:n_days]
    return np.cumsum(joins) - np.cumsum(leaves)


def complaints_test(tickets: pd.DataFrame, cust: pd.DataFrame, n_days: int,
                    wb: tuple[int, int], wa: tuple[int, int]) -> dict[str, float]:
    active = active_per_day(cust, n_days)
    events = tickets.loc[tickets["is_complaint"], "day"].value_counts()
    frames = []
    for label, win in (("before", wb), ("after", wa)):
        days = np.arange(*win)
        frames.append(pd.DataFrame({
            "date": pd.Timestamp(ROLLOUT.span[0]) + pd.to_timedelta(days, unit="D"),
            "events": events.reindex(days.astype(float), fill_value=0).to_numpy(int),
            "exposure": active[days].astype(float), "period": label}))
    daily = pd.concat(frames, ignore_index=True)
    yb, ya = (int(f["events"].sum()) for f in frames)
    eb, ea = (float(f["exposure"].sum()) for f in frames)
    out = {"before": yb / eb, "after": ya / ea, "delta": ya / ea - yb / eb,
           "n_b": yb, "n_a": ya, "p_value": math.nan}
    if min(yb, ya) >= MIN_N:
        out["p_value"] = rate_test_auto(daily).p_value
    return out


def bootstrap_median_diff(b: np.ndarray, a: np.ndarray, n_boot: int,
                          rng: np.random.Generator) -> tuple[float, float]:
    diffs = np.array([np.median(rng.choice(a, a.size)) - np.median(rng.choice(b, b.size))
                      for _ in range(n_boot)])
    low, high = np.quantile(diffs, [0.025, 0.975])
    return float(low), float(high)


def handling_test(b: pd.Series, a: pd.Series, n_boot: int) -> dict[str, float]:
    vb, va = b.dropna().to_numpy(float), a.dropna().to_numpy(float)
    mb, ma = float(np.median(vb)), float(np.median(va))
    out = {"before": mb, "after": ma, "delta": ma - mb, "n_b": vb.size, "n_a": va.size,
           "p_value": math.nan}
    if min(vb.size, va.size) >= MIN_N:
        out["p_value"] = float(stats.mannwhitneyu(va, vb, method="asymptotic").pvalue)
        out["ci_low"], out["ci_high"] = bootstrap_median_diff(vb, va, n_boot,
                                                              np.random.default_rng(0))
    return out


# ---------------------------------------------------------------- driver
def segments(cust: pd.DataFrame) -> Iterator[tuple[str, dict[str, Any]]]:
    yield "overall", {}
    for key in sorted(cust[BY].drop_duplicates().itertuples(index=False, name=None)):
        yield " × ".join(key), dict(zip(BY, key, strict=True))


def subset(frame: pd.DataFrame, where: dict[str, Any]) -> pd.DataFrame:
    mask = np.ones(len(frame), dtype=bool)
    for col, value in where.items():
        mask &= (frame[col] == value).to_numpy()
    return frame[mask]


def segment_rows(p: dict[str, Any], where: dict[str, Any], n_boot: int
                 ) -> Iterator[tuple[str, str, dict[str, float]]]:
    win = window_days(pd.Timestamp(ROLLOUT.span[0]))
    cust, sv, tk = (subset(p[t], where) for t in ("customers", "surveys", "tickets"))
    for comparison, pb, pa in COMPARISONS:
        sb, sa = sv[in_period(sv["day"], win[pb])], sv[in_period(sv["day"], win[pa])]
        tb, ta = tk[in_period(tk["day"], win[pb])], tk[in_period(tk["day"], win[pa])]
        yield "nps", comparison, nps_test(sb["nps_score"], sa["nps_score"])
        yield "csat", comparison, csat_test(sb["csat_score"], sa["csat_score"])
        yield "churn", comparison, churn_test(cust, win[pb], win[pa])
        yield "complaints", comparison, complaints_test(tk, cust, p["n_days"], win[pb], win[pa])
        yield "handling_time", comparison, handling_test(tb["minutes"], ta["minutes"], n_boot)


def baseline(folder: Path, n_boot: int = 200) -> pd.DataFrame:
    """Every metric by tier × region × plan and overall, both comparisons."""
    p = prepare(read(folder))
    rows = []
    for name, where in segments(p["customers"]):
        for metric, comparison, r in segment_rows(p, where, n_boot):
            s = SCALE[metric]
            rows.append({"metric": metric, "segment": name, "comparison": comparison,
                         "before": r["before"] * s, "after": r["after"] * s,
                         "delta": r["delta"] * s, "p_value": r["p_value"]})
    return pd.DataFrame(rows)


def check(folder: Path, n_boot: int) -> pd.DataFrame:
    """Largest absolute difference to ``compare`` per metric."""
    base = baseline(folder, n_boot)
    table = rm.compare(rm.load_dataset(str(folder)), ROLLOUT, by=BY)
    merged = base.merge(table, on=["metric", "segment", "comparison"],
                        suffixes=("_base", "_rm"), how="outer", indicator=True)
    out = {}
    for metric, g in merged.groupby("metric", sort=False):
        out[metric] = {"rows": len(g), "unmatched": int((g["_merge"] != "both").sum())}
        for col in ("before", "after", "delta", "p_value"):
            out[metric][col] = float((g[f"{col}_base"] - g[f"{col}_rm"]).abs().max())
    return pd.DataFrame(out).T


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=parse_count, default=1_000_000)
    parser.add_argument("--n-boot", type=int, default=200)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    folder = ensure(args.tickets)
    if args.check:
        with pd.option_context("display.float_format", "{:.3g}".format):
            print(check(folder, args.n_boot).to_string())
        return 0
    t0 = time.perf_counter()
    table = baseline(folder, args.n_boot)
    print(f"{len(table)} rows in {time.perf_counter() - t0:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
