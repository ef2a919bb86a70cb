"""The Spark floor: the DuckDB floor's queries (``floor_duckdb.py``) run in Spark SQL.

The same reductions as ``compare`` on the same Parquet files, in the same kind of session
(``local[2]``): one scan per table joined to the customer segments, the ticket scan's
grouping sets, then the duration medians' clustering pass by customer.  Only the small
results are collected; no validation and no test is run, so this is the least a Spark
implementation of ``compare`` can cost on one machine.

``--check`` runs the DuckDB floor on the same files and compares every table, row by row
(the DuckDB floor is itself checked against ``compare``'s cells by ``floor_duckdb.py
--check``).  ``run_all.py`` times this floor beside ``compare`` on Spark.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from data import TABLES, ensure, parse_count
from floor_duckdb import Dialect, cluster_sql, customer_sql, survey_sql, ticket_sql

#: Spark SQL reads temporary views named after the tables (registered by :func:`floor`);
#: seconds since the epoch keep microseconds, as DuckDB's ``epoch`` does.
SPARK = Dialect(src=lambda _folder, table: table,
                seconds=lambda ts: f"(unix_micros({ts}) / 1e6)",
                quote=lambda name: f"`{name}`")


def read(spark: Any, folder: Path) -> dict[str, Any]:
    """The tables of ``folder`` as Spark DataFrames (what ``compare`` is given on Spark)."""
    return {t: spark.read.parquet(str(folder / f"{t}.parquet")) for t in TABLES}


def floor(spark: Any, frames: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """Run the three scans and the duration medians' second pass in ``spark`` on ``frames``
    (:func:`read`); return the small reduced tables as pandas frames."""
    for table, frame in frames.items():
        frame.createOrReplaceTempView(table)
    here = Path()  # the views are named after the tables; no folder is read
    out = {name: spark.sql(sql(here, SPARK)).toPandas() for name, sql in
           (("surveys", survey_sql), ("tickets", ticket_sql), ("customers", customer_sql))}
    out["handling_clusters"] = spark.sql(cluster_sql(here, out["tickets"], SPARK)).toPandas()
    return out


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in one order, numbers as floats: Spark and DuckDB return them in their own
    order and integer widths."""
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_numeric_dtype(out[col]) or pd.api.types.is_bool_dtype(out[col]):
            out[col] = out[col].astype("float64")
        else:
            out[col] = out[col].astype("object").where(out[col].notna(), None)
    return out.sort_values(list(out.columns), na_position="first").reset_index(drop=True)


def check(spark_out: dict[str, pd.DataFrame], folder: Path) -> int:
    """Compare every table of the Spark floor with the DuckDB floor's on the same files;
    print and return the number of tables that differ."""
    from floor_duckdb import floor as duckdb_floor

    theirs = duckdb_floor(folder)
    # DuckDB's count_if over a group of only missing scores is NULL, Spark's is 0.
    theirs["surveys"] = theirs["surveys"].fillna(0)
    bad = 0
    for name, ours in spark_out.items():
        try:
            pd.testing.assert_frame_equal(_sorted(ours), _sorted(theirs[name][ours.columns]),
                                          check_exact=False, rtol=1e-12, atol=0)
        except AssertionError as err:
            bad += 1
            print(f"{name}: the Spark floor differs from the DuckDB floor\n{err}")
        else:
            print(f"{name}: {len(ours):,} rows x {ours.shape[1]} columns, equal")
    return bad


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=parse_count, default=1_000_000)
    parser.add_argument("--check", action="store_true",
                        help="compare every table with the DuckDB floor's")
    args = parser.parse_args(argv)
    from run_all import _spark_session

    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
    folder = ensure(args.tickets)
    spark = _spark_session()
    t0 = time.perf_counter()
    out = floor(spark, read(spark, folder))
    sizes = ", ".join(f"{k} {len(v):,} rows" for k, v in out.items())
    print(f"{sizes} in {time.perf_counter() - t0:.2f} s")
    bad = check(out, folder) if args.check else 0
    spark.stop()
    return min(bad, 1)


if __name__ == "__main__":
    raise SystemExit(main())
