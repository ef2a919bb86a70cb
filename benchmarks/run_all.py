"""Time ``compare`` against a pandas baseline and a DuckDB floor; print a table.

Every configuration runs in a fresh subprocess (so peak RSS is that run's own),
``--runs`` times; the table shows the median wall time (measured inside the run,
interpreter start-up and imports excluded), the largest peak RSS, and the ratios
to the pandas baseline and to the DuckDB floor.  For the in-memory engines the
Parquet files are loaded first; that load is reported separately and not timed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from data import ensure, parse_count
from shapes import SHAPES, ensure_shape

BY36 = ["tier", "region", "plan"]
CONFIGS = {
    "compare parquet, by=tier": "parquet_tier",
    "compare parquet, 36 cells": "parquet_36",
    "compare pandas in memory, 36 cells": "pandas_36",
    "compare polars in memory, 36 cells": "polars_36",
    "pandas baseline, 36 cells": "baseline",
    "duckdb floor, 36 cells": "floor",
}


def _compare(data: Any, by: str | list[str]) -> None:
    import rollout_metrics as rm

    rm.compare(rm.load_dataset(data), rm.Rollout("2025-09-01", announced="2025-08-11"), by=by)


def _frames(folder: Path, engine: str) -> dict[str, Any]:
    if engine == "pandas":
        import pandas as pd

        return {t: pd.read_parquet(folder / f"{t}.parquet")
                for t in ("customers", "surveys", "tickets")}
    import polars as pl

    return {t: pl.read_parquet(folder / f"{t}.parquet")
            for t in ("customers", "surveys", "tickets")}


#: Spark runs on a smaller dataset (local[2] on a 2-core machine), beside the Parquet path
#: on the same files; its own table, not compared with the 10M-ticket rows.
SPARK_CONFIGS = {
    "compare parquet (DuckDB), 36 cells": "parquet_36",
    "compare spark local[2], 36 cells": "spark_36",
    "pyspark floor local[2], 36 cells": "spark_floor",
}


def _spark_session() -> Any:
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]").appName("rollout-metrics-bench")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.memory", "4g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


def _import_for(config: str) -> None:
    """Import what ``config`` runs, outside the timing.  ``rollout_metrics`` imports its
    heavy modules only when used (pandas, scipy.stats and the rest: 1.0 s of a ``compare``,
    against 0.3 s of the floor's DuckDB and pandas), so importing the package alone left
    them inside the timed run."""
    import importlib

    names = {"baseline": ["baseline_pandas"], "floor": ["floor_duckdb"],
             "spark_floor": ["floor_spark"]}.get(
        config, ["rollout_metrics.comparison", "rollout_metrics.load.dataset"])
    for name in names:
        importlib.import_module(name)


def worker(config: str, folder: Path) -> dict[str, float]:
    """Run one configuration in this process; return wall and load seconds."""
    _import_for(config)
    load = 0.0
    t0 = time.perf_counter()
    if config in ("spark_36", "spark_floor"):
        # Session start-up (JVM launch) is reported as load, not timed.
        from floor_spark import floor as spark_floor
        from floor_spark import read

        spark = _spark_session()
        frames = read(spark, folder)
        load = time.perf_counter() - t0
        # Every Spark job of load_dataset (validation) and compare (reductions), or of the
        # floor's queries, joins one group, counted after the run.
        context = spark.sparkContext
        context.setJobGroup("rollout-metrics", "load_dataset and compare")
        t0 = time.perf_counter()
        if config == "spark_36":
            _compare(frames, BY36)
        else:
            spark_floor(spark, frames)
        wall = time.perf_counter() - t0
        jobs = len(context.statusTracker().getJobIdsForGroup("rollout-metrics"))
        spark.stop()
        return {"wall": wall, "load": load, "jobs": float(jobs)}
    if config in ("parquet_tier", "parquet_36"):
        _compare(str(folder), "tier" if config == "parquet_tier" else BY36)
    elif config in ("pandas_36", "polars_36"):
        frames = _frames(folder, config.split("_")[0])
        load = time.perf_counter() - t0
        t0 = time.perf_counter()
        _compare(frames, BY36)
    elif config == "baseline":
        from baseline_pandas import baseline

        baseline(folder)
    else:
        from floor_duckdb import floor

        floor(folder)
    return {"wall": time.perf_counter() - t0, "load": load}


def run_once(config: str, folder: Path) -> dict[str, float]:
    """One run in a fresh subprocess; its own peak RSS from ``wait4``."""
    cmd = [sys.executable, __file__, "--worker", config, "--folder", str(folder)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise RuntimeError(f"{config} failed with exit code {proc.returncode}")
    result: dict[str, float] = json.loads(out.decode().strip().splitlines()[-1])
    result["rss_mb"] = usage.ru_maxrss / 1024  # kilobytes on Linux
    return result


def measure(folder: Path, runs: int, configs: dict[str, str]) -> dict[str, dict[str, float]]:
    """Median of ``runs`` runs per configuration, interleaved: each round runs every
    configuration once, so a slow spell of the machine hits all of them alike."""
    results: dict[str, list[dict[str, float]]] = {label: [] for label in configs}
    for round_ in range(runs):
        for label, config in configs.items():
            results[label].append(run_once(config, folder))
            print(f"  round {round_ + 1}/{runs} {label}: {results[label][-1]['wall']:.2f} s",
                  file=sys.stderr)
    return {label: {"wall": statistics.median(r["wall"] for r in rs),
                    "load": statistics.median(r["load"] for r in rs),
                    "rss_mb": max(r["rss_mb"] for r in rs),
                    "jobs": max(r.get("jobs", 0.0) for r in rs)}
            for label, rs in results.items()}


def spark_table(results: dict[str, dict[str, float]]) -> str:
    lines = [f"| {'config':<36} | median wall s | peak RSS MB (Python process) | "
             "session start s (untimed) | Spark jobs |",
             f"|{'-' * 38}|--------------:|-----------------------------:|"
             "--------------------------:|-----------:|"]
    for label, r in results.items():
        load = f"{r['load']:.2f}" if r["load"] else ""
        jobs = f"{r['jobs']:.0f}" if r.get("jobs") else ""
        lines.append(f"| {label:<36} | {r['wall']:>13.2f} | {r['rss_mb']:>28.0f} | "
                     f"{load:>26} | {jobs:>10} |")
    return "\n".join(lines)


def table(results: dict[str, dict[str, float]]) -> str:
    base = results.get("pandas baseline, 36 cells", {}).get("wall")
    floor = results["duckdb floor, 36 cells"]["wall"]
    lines = [f"| {'config':<36} | median wall s | peak RSS MB | vs baseline | vs floor |"
             " load s (untimed) |", f"|{'-' * 38}|--------------:|------------:|"
             "------------:|---------:|-----------------:|"]
    for label, r in results.items():
        ratio_b = f"{r['wall'] / base:.3f}" if base else "n/a"
        load = f"{r['load']:.2f}" if r["load"] else ""
        lines.append(f"| {label:<36} | {r['wall']:>13.2f} | {r['rss_mb']:>11.0f} | "
                     f"{ratio_b:>11} | {r['wall'] / floor:>8.2f} | {load:>16} |")
    return "\n".join(lines)


def shapes_table(rows: dict[str, dict[str, dict[str, float]]]) -> str:
    """One line per export shape: ``compare`` (36 cells) beside the floor on the same files."""
    lines = ["| shape | compare 36 cells, median s | floor, median s | vs floor | "
             "peak RSS MB |", "|---|---:|---:|---:|---:|"]
    for shape, r in rows.items():
        ours, floor = r["compare"], r["floor"]
        lines.append(f"| {shape} | {ours['wall']:.2f} | {floor['wall']:.2f} | "
                     f"{ours['wall'] / floor['wall']:.2f} | {ours['rss_mb']:.0f} |")
    return "\n".join(lines)


def summary(results: dict[str, dict[str, float]]) -> str:
    wall = {k: v["wall"] for k, v in results.items()}
    p36 = wall.get("compare parquet, 36 cells")
    lines = []
    if p36 and "compare parquet, by=tier" in wall:
        lines.append(f"cost of adding segments (36 cells / by=tier): "
                     f"{p36 / wall['compare parquet, by=tier']:.2f}x (target <= 1.30)")
    if p36:
        lines.append(f"compare parquet 36 cells / floor: "
                     f"{p36 / wall['duckdb floor, 36 cells']:.2f}x (target <= 2)")
    if p36 and "compare pandas in memory, 36 cells" in wall:
        lines.append(f"pandas in memory / parquet path: "
                     f"{wall['compare pandas in memory, 36 cells'] / p36:.2f}x (target <= 1.5)")
    if p36:
        lines.append(f"peak RSS compare parquet 36 cells: "
                     f"{results['compare parquet, 36 cells']['rss_mb']:.0f} MB (target <= 1024)")
    if p36 and "pandas baseline, 36 cells" in wall:
        lines.append(f"speed-up over the pandas baseline: "
                     f"{wall['pandas baseline, 36 cells'] / p36:.1f}x (target >= 8)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=parse_count, default=10_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--only", nargs="+",
                        choices=sorted(set(CONFIGS.values()) - {"floor"} | {"spark_36"}),
                        help="run only these configurations (and the floor)")
    parser.add_argument("--spark-tickets", type=parse_count, default=1_000_000,
                        help="dataset size of the Spark table (0: skip Spark)")
    parser.add_argument("--shapes", nargs="*", default=list(SHAPES), choices=SHAPES,
                        help="export shapes to time against their floors (default: all; "
                             "none: --shapes with no value)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.folder)))
        return 0
    folder = ensure(args.tickets)
    print(f"{args.tickets:,} tickets ({folder}), {args.runs} runs per config, "
          f"{os.cpu_count()} cores", file=sys.stderr)
    chosen = {label: config for label, config in CONFIGS.items()
              if not (args.skip_baseline and config == "baseline")
              and (not args.only or config in args.only or config == "floor")}
    if set(chosen.values()) != {"floor"}:
        results = measure(folder, args.runs, chosen)
        print(table(results))
        print(summary(results))
    if args.shapes:
        rows = {}
        for shape in args.shapes:
            target = ensure_shape(args.tickets, shape)
            r = measure(target, args.runs, {"compare": "parquet_36", "floor": "floor"})
            rows[shape] = r
        print(f"\nExport shapes, {args.tickets:,} tickets (benchmarks/shapes.py):")
        print(shapes_table(rows))
    if args.spark_tickets and (not args.only or "spark_36" in args.only):
        small = ensure(args.spark_tickets)
        print(f"\nSpark, {args.spark_tickets:,} tickets ({small}):")
        spark = measure(small, args.runs, SPARK_CONFIGS)
        print(spark_table(spark))
        ours, floor = (spark[f"{name} local[2], 36 cells"]["wall"]
                       for name in ("compare spark", "pyspark floor"))
        print(f"compare spark / pyspark floor: {ours / floor:.2f}x (target <= 3)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
