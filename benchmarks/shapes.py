"""Export-shaped variants of the benchmark dataset: text ids, text timestamps in CSV.

Real helpdesk exports rarely have dense integer ids.  From the integer-id Parquet files of
``data.py`` this writes, once, into ``<folder>/shapes/<shape>/``:

* ``text_seq``: sequential text ids (``C00001234``, ``T000012345``), Parquet;
* ``text_random``: random-looking text ids (12 hex characters of an MD5, ``ZD-`` + 10 for
  tickets), Parquet;
* ``csv_text``: the sequential text ids as CSV, timestamps as text (``2025-09-01
  10:00:00``), flags ``true``/``false``: what a CRM export looks like.

The rows are the same in every shape, so ``compare`` gives the same numbers on each.
``python benchmarks/shapes.py --tickets 1_000_000`` prints the folders.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from data import TABLES, ensure, parse_count

SHAPES = ("text_seq", "text_random", "csv_text")

_IDS = {
    "text_seq": ("'C' || lpad(CAST({c} AS VARCHAR), 8, '0')",
                 "'T' || lpad(CAST({t} AS VARCHAR), 9, '0')"),
    "text_random": ("substr(md5('c' || CAST({c} AS VARCHAR)), 1, 12)",
                    "'ZD-' || substr(md5('t' || CAST({t} AS VARCHAR)), 1, 10)"),
}


def _select(folder: Path, table: str, shape: str) -> str:
    ids = _IDS["text_seq" if shape == "csv_text" else shape]
    src = f"read_parquet('{folder}/{table}.parquet')"
    replace = [f"{ids[0].format(c='customer_id')} AS customer_id"]
    if table == "tickets":
        replace.append(f"{ids[1].format(t='ticket_id')} AS ticket_id")
    return f"SELECT * REPLACE ({', '.join(replace)}) FROM {src}"


def is_complete(target: Path, shape: str) -> bool:
    ext = "csv" if shape == "csv_text" else "parquet"
    return all((target / f"{t}.{ext}").is_file() for t in TABLES)


def ensure_shape(tickets: int, shape: str) -> Path:
    """The folder of ``shape`` for the dataset of ``tickets`` tickets, written if missing."""
    folder = ensure(tickets)
    target = folder / "shapes" / shape
    if is_complete(target, shape):
        return target
    target.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    for table in TABLES:
        sql = _select(folder, table, shape)
        if shape == "csv_text":
            out = target / f"{table}.csv"
            con.sql(f"COPY ({sql}) TO '{out}' (HEADER, DELIMITER ',', "
                    "TIMESTAMPFORMAT '%Y-%m-%d %H:%M:%S')")
        else:
            con.sql(f"COPY ({sql}) TO '{target / f'{table}.parquet'}' (FORMAT parquet)")
    print(f"wrote {target}", file=sys.stderr)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=parse_count, default=10_000_000)
    args = parser.parse_args(argv)
    for shape in SHAPES:
        print(ensure_shape(args.tickets, shape))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
