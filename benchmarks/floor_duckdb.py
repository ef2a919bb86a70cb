"""The floor: hand-written DuckDB SQL for the same reductions as ``compare``.

One scan per table, each joined to the customer segments: survey counts per
day × segment; ticket and complaint counts per day × segment together with
handling-time minute counts per period × segment (grouping sets over one scan);
sign-up and churn counts per day × segment; then the handling-time median's clustering by
customer (per customer, closed tickets at or below each segment's and the overall median,
summed per segment with their products), as ``compare`` does.  Only the small results are fetched;
no test is run, so this is the least any engine-side implementation can cost.

The same SQL reads the export shapes of ``benchmarks/shapes.py``: text ids join as text,
and CSV files are parsed by DuckDB's own reader (types sniffed, timestamps parsed natively),
the cheapest honest way to read the same file.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from data import ensure, parse_count

LO, TRANSITION, CHANGE, HI = "2025-06-16", "2025-08-11", "2025-09-01", "2025-10-27"
SEG = "c.tier, c.region, c.plan"
DAY = f"floor(epoch(CAST({{col}} AS TIMESTAMP) - TIMESTAMP '{LO}') / 86400)"


def _src(folder: Path, table: str) -> str:
    """The reader of one table: Parquet, or CSV parsed by DuckDB itself."""
    if (folder / f"{table}.csv").is_file():
        return f"read_csv('{folder}/{table}.csv')"
    return f"read_parquet('{folder}/{table}.parquet')"


def survey_sql(folder: Path) -> str:
    return f"""
    SELECT {DAY.format(col='s.responded_at')} AS day, {SEG},
      count(s.nps_score) AS nps_n, count_if(s.nps_score >= 9) AS promoters,
      count_if(s.nps_score BETWEEN 7 AND 8) AS passives,
      count_if(s.nps_score <= 6) AS detractors, count(s.csat_score) AS csat_n,
      count_if(s.csat_score = 1) AS csat_1, count_if(s.csat_score = 2) AS csat_2,
      count_if(s.csat_score = 3) AS csat_3, count_if(s.csat_score = 4) AS csat_4,
      count_if(s.csat_score = 5) AS csat_5
    FROM {_src(folder, 'surveys')} s
    JOIN {_src(folder, 'customers')} c USING (customer_id)
    WHERE s.responded_at >= TIMESTAMP '{LO}' AND s.responded_at < TIMESTAMP '{HI}'
    GROUP BY ALL"""


def _ticket_rows(folder: Path) -> str:
    """Period, minutes and source of the tickets in the windows, joined to their customer."""
    return f"""CASE WHEN t.created_at < TIMESTAMP '{TRANSITION}' THEN 'before'
             WHEN t.created_at < TIMESTAMP '{CHANGE}' THEN 'transition' ELSE 'after' END
          AS period,
        round(epoch(t.resolved_at - t.created_at) / 60) AS minutes
      FROM {_src(folder, 'tickets')} t
      JOIN {_src(folder, 'customers')} c USING (customer_id)
      WHERE t.created_at >= TIMESTAMP '{LO}' AND t.created_at < TIMESTAMP '{HI}'"""


def ticket_sql(folder: Path) -> str:
    return f"""
    WITH t AS (
      SELECT {DAY.format(col='t.created_at')} AS day, {SEG}, t.is_complaint,
{_ticket_rows(folder)})
    SELECT day, period, tier, region, plan, minutes, count(*) AS tickets,
      count_if(is_complaint) AS complaints
    FROM t GROUP BY GROUPING SETS ((day, tier, region, plan), (period, tier, region, plan,
      minutes))"""


def customer_sql(folder: Path) -> str:
    first = f"greatest({DAY.format(col='signup_date')}, 0)"
    last = DAY.format(col="churn_date")
    return f"""
    WITH c AS (
      SELECT {first} AS first, {last} AS last, tier, region, plan
      FROM {_src(folder, 'customers')}
      WHERE CAST(signup_date AS DATE) < DATE '{HI}'
        AND (churn_date IS NULL OR CAST(churn_date AS DATE) >= DATE '{LO}'))
    SELECT 'join' AS kind, first AS day, tier, region, plan, count(*) AS n FROM c
    GROUP BY ALL
    UNION ALL
    SELECT 'leave', last, tier, region, plan, count(*) FROM c
    WHERE last IS NOT NULL AND last < date_diff('day', DATE '{LO}', DATE '{HI}')
    GROUP BY ALL"""


PERIODS = ("before", "transition", "after")


def _median(group: pd.DataFrame) -> float:
    """Median (linear interpolation) of minute counts."""
    g = group.sort_values("minutes")
    cum, n = g["tickets"].cumsum().to_numpy(), int(g["tickets"].sum())
    pos = 0.5 * (n - 1)
    lo, hi = int(pos), int(pos) + (pos > int(pos))
    v = g["minutes"].to_numpy()
    v_lo, v_hi = v[(cum >= lo + 1).argmax()], v[(cum >= hi + 1).argmax()]
    return float(v_lo + (v_hi - v_lo) * (pos - lo))


def cluster_sql(folder: Path, counts: pd.DataFrame) -> str:
    """The handling-time median's second pass: per customer and segment, closed tickets at or
    below the segment's and the overall median of each period and all closed tickets; per
    segment the sums of them and of every product of two (the overall row regroups the
    per-customer table by customer)."""
    closed = counts[counts["period"].notna() & counts["minutes"].notna()]
    seg = closed.groupby(["tier", "region", "plan", "period"]).apply(_median, include_groups=False)
    whole = closed.groupby("period").apply(_median, include_groups=False)
    values = ", ".join(f"('{t}', '{r}', '{p}', '{per}', {v!r})"
                       for (t, r, p, per), v in seg.items())
    limit = " ".join(f"WHEN period = '{per}' THEN {v!r}" for per, v in whole.items())
    cols = [f"{x}_{p}" for p in PERIODS for x in ("y", "n")]
    sums = ", ".join(
        f"sum(CAST(period = '{p}' AND minutes <= lim AS DOUBLE)) AS y_{p}, "
        f"sum(CAST(period = '{p}' AND minutes <= alll AS DOUBLE)) AS a_{p}, "
        f"sum(CAST(period = '{p}' AS DOUBLE)) AS n_{p}" for p in PERIODS)
    def moments(y: str) -> str:
        names = [c.replace("y_", f"{y}_") for c in cols]
        prods = [f'sum({a} * {b}) AS "{a}*{b}"' for i, a in enumerate(names)
                 for b in names[i:]]
        return ", ".join(["count(*) AS customers", *[f"sum({c}) AS {c}" for c in names],
                          *prods])
    return f"""
    WITH thr(tier, region, plan, period, lim) AS (VALUES {values}),
    t AS (
      SELECT t.customer_id, c.tier, c.region, c.plan,
{_ticket_rows(folder)}
        AND t.resolved_at IS NOT NULL),
    per AS (
      SELECT customer_id, tier, region, plan, {sums}
      FROM (SELECT *, CASE {limit} END AS alll FROM t) JOIN thr USING (tier, region, plan, period)
      GROUP BY ALL)
    SELECT 'segment' AS row, tier, region, plan, {moments('y')} FROM per GROUP BY ALL
    UNION ALL
    SELECT 'overall', NULL, NULL, NULL, {moments('y')} FROM (
      SELECT customer_id, {", ".join(f"sum(a_{p}) AS y_{p}, sum(n_{p}) AS n_{p}"
                                     for p in PERIODS)}
      FROM per GROUP BY customer_id)"""


def floor(folder: Path) -> dict[str, pd.DataFrame]:
    """Run the three scans and the handling-time median's second pass; return the small
    reduced tables."""
    con = duckdb.connect()
    out = {name: con.sql(sql(folder)).df() for name, sql in
           (("surveys", survey_sql), ("tickets", ticket_sql), ("customers", customer_sql))}
    out["handling_clusters"] = con.sql(cluster_sql(folder, out["tickets"])).df()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=parse_count, default=1_000_000)
    args = parser.parse_args(argv)
    folder = ensure(args.tickets)
    t0 = time.perf_counter()
    out = floor(folder)
    sizes = ", ".join(f"{k} {len(v):,} rows" for k, v in out.items())
    print(f"{sizes} in {time.perf_counter() - t0:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
