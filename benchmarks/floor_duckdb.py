"""The floor: hand-written DuckDB SQL for the same reductions as ``compare``.

One scan per table, each joined to the customer segments: survey counts per
day × segment; ticket and complaint counts per day × segment together with
handling- and first-response-time minute counts per period × segment (grouping sets over
one scan); sign-up and churn counts per day × segment; then the two duration medians'
clustering by customer in one more scan (per customer, tickets at or below each segment's
and the overall median and all tickets with a duration, summed per segment with their
products), as ``compare`` does.  Only the small results are fetched; no test is run, so this
is the least any engine-side implementation can cost.

The same SQL reads the export shapes of ``benchmarks/shapes.py``: text ids join as text,
and CSV files are parsed by DuckDB's own reader (types sniffed, timestamps parsed natively),
the cheapest honest way to read the same file.  ``benchmarks/floor_spark.py`` runs the same
queries in Spark SQL (:class:`Dialect` holds the few expressions that differ).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from data import ensure, parse_count

LO, TRANSITION, CHANGE, HI = "2025-06-16", "2025-08-11", "2025-09-01", "2025-10-27"
SEG = "c.tier, c.region, c.plan"
#: Days from the first to the end of the last window.
SPAN = (dt.date.fromisoformat(HI) - dt.date.fromisoformat(LO)).days


def _duckdb_src(folder: Path, table: str) -> str:
    """The reader of one table: Parquet, or CSV parsed by DuckDB itself."""
    if (folder / f"{table}.csv").is_file():
        return f"read_csv('{folder}/{table}.csv')"
    return f"read_parquet('{folder}/{table}.parquet')"


@dataclass(frozen=True)
class Dialect:
    """The expressions the floor's SQL writes differently per engine."""

    #: ``(folder, table)`` -> what the query reads the table from.
    src: Callable[[Path, str], str]
    #: Seconds since the epoch of a timestamp expression (fractions kept).
    seconds: Callable[[str], str]
    #: A column alias that may hold ``*``.
    quote: Callable[[str], str]

    def day(self, col: str) -> str:
        """Whole days from the first window's start to ``col``."""
        start = self.seconds(f"TIMESTAMP '{LO}'")
        return f"floor(({self.seconds(f'CAST({col} AS TIMESTAMP)')} - {start}) / 86400)"

    def minutes(self, end: str, start: str) -> str:
        """Minutes from ``start`` to ``end``, rounded to whole minutes."""
        return f"round(({self.seconds(end)} - {self.seconds(start)}) / 60)"


DUCKDB = Dialect(src=_duckdb_src, seconds=lambda ts: f"epoch({ts})",
                 quote=lambda name: f'"{name}"')


def survey_sql(folder: Path, d: Dialect = DUCKDB) -> str:
    return f"""
    SELECT {d.day('s.responded_at')} AS day, {SEG},
      count(s.nps_score) AS nps_n, count_if(s.nps_score >= 9) AS promoters,
      count_if(s.nps_score BETWEEN 7 AND 8) AS passives,
      count_if(s.nps_score <= 6) AS detractors, count(s.csat_score) AS csat_n,
      count_if(s.csat_score = 1) AS csat_1, count_if(s.csat_score = 2) AS csat_2,
      count_if(s.csat_score = 3) AS csat_3, count_if(s.csat_score = 4) AS csat_4,
      count_if(s.csat_score = 5) AS csat_5
    FROM {d.src(folder, 'surveys')} s
    JOIN {d.src(folder, 'customers')} c USING (customer_id)
    WHERE s.responded_at >= TIMESTAMP '{LO}' AND s.responded_at < TIMESTAMP '{HI}'
    GROUP BY ALL"""


def _ticket_rows(folder: Path, d: Dialect) -> str:
    """Period, minutes and source of the tickets in the windows, joined to their customer."""
    return f"""CASE WHEN t.created_at < TIMESTAMP '{TRANSITION}' THEN 'before'
             WHEN t.created_at < TIMESTAMP '{CHANGE}' THEN 'transition' ELSE 'after' END
          AS period,
        {d.minutes('t.resolved_at', 't.created_at')} AS minutes,
        {d.minutes('t.first_response_at', 't.created_at')} AS fr_minutes
      FROM {d.src(folder, 'tickets')} t
      JOIN {d.src(folder, 'customers')} c USING (customer_id)
      WHERE t.created_at >= TIMESTAMP '{LO}' AND t.created_at < TIMESTAMP '{HI}'"""


def ticket_sql(folder: Path, d: Dialect = DUCKDB) -> str:
    return f"""
    WITH t AS (
      SELECT {d.day('t.created_at')} AS day, {SEG}, t.is_complaint,
{_ticket_rows(folder, d)})
    SELECT day, period, tier, region, plan, minutes, fr_minutes, count(*) AS tickets,
      count_if(is_complaint) AS complaints
    FROM t GROUP BY GROUPING SETS ((day, tier, region, plan), (period, tier, region, plan,
      minutes), (period, tier, region, plan, fr_minutes))"""


def customer_sql(folder: Path, d: Dialect = DUCKDB) -> str:
    first = f"greatest({d.day('signup_date')}, 0)"
    last = d.day("churn_date")
    return f"""
    WITH c AS (
      SELECT {first} AS joined, {last} AS left_on, tier, region, plan
      FROM {d.src(folder, 'customers')}
      WHERE CAST(signup_date AS DATE) < DATE '{HI}'
        AND (churn_date IS NULL OR CAST(churn_date AS DATE) >= DATE '{LO}'))
    SELECT 'join' AS kind, joined AS day, tier, region, plan, count(*) AS n FROM c
    GROUP BY ALL
    UNION ALL
    SELECT 'leave', left_on, tier, region, plan, count(*) FROM c
    WHERE left_on IS NOT NULL AND left_on < {SPAN}
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


#: The duration metrics: (prefix of their variables, minutes column).
DURATIONS = (("", "minutes"), ("f", "fr_minutes"))


def _medians(counts: pd.DataFrame, minutes: str) -> tuple[pd.Series, pd.Series]:
    """Each segment's and the overall median of ``minutes`` per period."""
    rows = counts.loc[counts["period"].notna() & counts[minutes].notna(),
                      ["tier", "region", "plan", "period", minutes, "tickets"]
                      ].rename(columns={minutes: "minutes"})
    seg = rows.groupby(["tier", "region", "plan", "period"]).apply(_median, include_groups=False)
    whole = rows.groupby("period").apply(_median, include_groups=False)
    return seg, whole


def cluster_sql(folder: Path, counts: pd.DataFrame, d: Dialect = DUCKDB) -> str:
    """The handling- and first-response-time medians' second pass, both in one scan: per
    customer and segment, tickets with a duration at or below the segment's and the overall
    median of each period and all tickets with one; per segment the sums of them and of
    every product of two within a metric (the overall row regroups the per-customer table
    by customer)."""
    (seg_h, whole_h), (seg_f, whole_f) = (_medians(counts, m) for _, m in DURATIONS)
    def sql(v: object) -> str:
        return "NULL" if v is None else repr(float(v))  # type: ignore[arg-type]
    keys = sorted(set(seg_h.index) | set(seg_f.index))
    values = ", ".join(f"('{t}', '{r}', '{p}', '{per}', {sql(seg_h.get(k))}, "
                       f"{sql(seg_f.get(k))})" for k in keys for t, r, p, per in [k])
    limit = {x: " ".join(f"WHEN period = '{per}' THEN {v!r}" for per, v in w.items())
             for x, w in (("", whole_h), ("f", whole_f))}
    sums = ", ".join(
        f"sum(CAST(period = '{p}' AND {m} <= {x}lim AS DOUBLE)) AS {x}y_{p}, "
        f"sum(CAST(period = '{p}' AND {m} <= {x}alll AS DOUBLE)) AS {x}a_{p}, "
        f"sum(CAST(period = '{p}' AND {m} IS NOT NULL AS DOUBLE)) AS {x}n_{p}"
        for x, m in DURATIONS for p in PERIODS)
    def moments(y: str) -> str:
        out = []
        for x, _ in DURATIONS:
            names = [f"{x}{v}_{p}" for p in PERIODS for v in (y, "n")]
            units = " + ".join(f"{x}n_{p} + {x}{y}_{p}" for p in PERIODS)
            out.append(f"sum(CAST({units} > 0 AS INT)) AS {x}customers")
            out += [f"sum(CAST({x}n_{p} > 0 AS INT)) AS {x}k_{p}" for p in PERIODS]
            out += [f"sum({c}) AS {c}" for c in names]
            out += [f"sum({a} * {b}) AS {d.quote(f'{a}*{b}')}" for i, a in enumerate(names)
                    for b in names[i:]]
        return ", ".join(out)
    regroup = ", ".join(f"sum({x}a_{p}) AS {x}y_{p}, sum({x}n_{p}) AS {x}n_{p}"
                        for x, _ in DURATIONS for p in PERIODS)
    return f"""
    WITH thr AS (SELECT * FROM (VALUES {values}) AS v(tier, region, plan, period, lim, flim)),
    t AS (
      SELECT t.customer_id, c.tier, c.region, c.plan,
{_ticket_rows(folder, d)}),
    per AS (
      SELECT customer_id, tier, region, plan, {sums}
      FROM (SELECT *, CASE {limit[""]} END AS alll, CASE {limit["f"]} END AS falll FROM t)
        LEFT JOIN thr USING (tier, region, plan, period)
      GROUP BY ALL)
    SELECT 'segment' AS row, tier, region, plan, {moments('y')} FROM per GROUP BY ALL
    UNION ALL
    SELECT 'overall', NULL, NULL, NULL, {moments('y')} FROM (
      SELECT customer_id, {regroup} FROM per GROUP BY customer_id)"""


def floor(folder: Path) -> dict[str, pd.DataFrame]:
    """Run the three scans and the duration medians' second pass; return the small reduced
    tables."""
    con = duckdb.connect()
    out = {name: con.sql(sql(folder)).df() for name, sql in
           (("surveys", survey_sql), ("tickets", ticket_sql), ("customers", customer_sql))}
    out["handling_clusters"] = con.sql(cluster_sql(folder, out["tickets"])).df()
    return out


def check(folder: Path, clusters: pd.DataFrame) -> int:
    """Compare the floor's clustering sums with ``compare``'s cells (tier × region × plan
    and the overall row, both duration metrics); print and return the number of sums that
    differ by more than 1e-9 relative."""
    import rollout_metrics as rm
    from rollout_metrics.metrics import MetricOptions, get_metric
    from rollout_metrics.stats.periods import period_table

    data = rm.load_dataset(str(folder))
    rollout = rm.Rollout(CHANGE, announced=TRANSITION)
    by = ["tier", "region", "plan"]
    seen = bad = 0
    for x, metric in (("", "handling_time"), ("f", "first_response_time")):
        table = period_table(data, rollout, get_metric(metric), by, MetricOptions())
        for i, key in enumerate(table.keys):
            rows = clusters[clusters["row"] == "overall"] if i == 0 else clusters[
                (clusters[by].astype(str) == [str(k) for k in key]).all(axis=1)]
            ours = table.cell(i, "before").clusters
            for name, value in ours.moments:
                theirs = float(rows["*".join(x + v for v in name.split("*"))].iloc[0])
                seen += 1
                if abs(theirs - value) > 1e-9 * max(1.0, abs(value)):
                    bad += 1
                    print(f"{metric} {key} {name}: floor {theirs}, compare {value}")
    print(f"{seen} clustering sums compared with compare's cells, {bad} differ")
    return bad


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=parse_count, default=1_000_000)
    parser.add_argument("--check", action="store_true",
                        help="compare the clustering sums with compare's cells")
    args = parser.parse_args(argv)
    folder = ensure(args.tickets)
    t0 = time.perf_counter()
    out = floor(folder)
    sizes = ", ".join(f"{k} {len(v):,} rows" for k, v in out.items())
    print(f"{sizes} in {time.perf_counter() - t0:.2f} s")
    return min(check(folder, out["handling_clusters"]), 1) if args.check else 0


if __name__ == "__main__":
    raise SystemExit(main())
