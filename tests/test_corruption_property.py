"""Random corruptions of a small dataset give the same outcome on every engine.

A few dozen rows per table are corrupted (bad scores and flags, bad timestamps and offsets,
nulls, NaN, duplicate ids, unknown customers, hostile strings) and loaded from pandas,
Polars, PyArrow, DuckDB, CSV and Parquet.  For every engine and table: rows read = rows kept
+ rows excluded, and every row given is read; the quality tables are identical across
engines; anything raised is a ``RolloutMetricsError`` naming the table and column, raised
alike on every engine.
"""

from __future__ import annotations

import csv
import math
import random
import tempfile
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import rollout_metrics as rm
from rollout_metrics.errors import RolloutMetricsError

pytestmark = pytest.mark.slow

ENGINES = ("pandas", "polars", "pyarrow", "duckdb", "csv", "parquet")
Table = dict[str, list[Any]]


def _base() -> dict[str, Table]:
    """Twelve customers, thirty surveys and thirty tickets, all valid."""
    rng = random.Random(7)
    customers: Table = {
        "customer_id": list(range(1, 13)),
        "signup_date": [f"2024-{m:02d}-{d:02d}" for m, d in
                        zip(range(1, 13), rng.choices(range(1, 29), k=12), strict=True)],
        "churn_date": [None] * 10 + ["2025-03-01 10:00:00", "2025-04-02"],
        "tier": rng.choices(["VIP", "new", "regular"], k=12),
    }
    def stamp(i: int) -> str:
        return f"2025-{1 + i % 12:02d}-{1 + i % 28:02d} {i % 24:02d}:{(7 * i) % 60:02d}:00"

    surveys: Table = {
        "customer_id": [1 + i % 12 for i in range(30)],
        "responded_at": [stamp(i) for i in range(30)],
        "nps_score": [i % 11 for i in range(30)],
        "csat_score": [1 + i % 5 for i in range(30)],
    }
    tickets: Table = {
        "ticket_id": list(range(100, 130)),
        "customer_id": [1 + (5 * i) % 12 for i in range(30)],
        "created_at": [stamp(i) for i in range(30)],
        "resolved_at": [stamp(i).replace(" ", "T")[:-2] + "59" for i in range(30)],
        "channel": rng.choices(["phone", "email", "chat"], k=30),
        "is_complaint": rng.choices(["yes", "no"], k=30),
    }
    return {"customers": customers, "surveys": surveys, "tickets": tickets}


HOSTILE = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"),
    max_size=12)
TEXT_SCORES = st.sampled_from(
    ["1_0", "0x5", "nan", "NaN", "inf", "1e1", "11", "-1", "8.5", "5,0", " 7 ", "", "n/a",
     "\xa07", "٣", "+5", "-0", "010", "8.0", "5.", ".5", "seven", "7\n"]) | HOSTILE
NUMBER_SCORES = st.sampled_from([math.nan, None, 11, -1, 8.5, 0, 10])
STAMPS = st.sampled_from(
    ["2025-01-10T10", "2025-01-10 24:00:00", "2025-01-10 10:00:00 BC",
     "2025-01-10 10:00:00 UTC", "2025-01-10 10:00:00+02", "2025-01-10 10:00:00 +02:00",
     "2025-01-10T10:00:00Z", "2025-01-10T10:00:00.5-05:30", "2025-01-10T10:00:00+0200",
     "2025-01-10 9:00", "2025-02-30", "0000-01-01", "9999-12-31 23:59:59", "1899-12-31",
     "2025-01-10 10:00:00.123456789", "\t2025-01-10 10:00 ", "", "n/a", "today", None,
     "2024-01-01", "2026-06-30 23:59"]) | HOSTILE
IDS = st.sampled_from(["C-4", "", "1.0", " 1", "007", "999", "-", None, 999, 3, 1]) | HOSTILE
FLAGS = st.sampled_from(["yes", "no", "maybe", "", "1", "0", "да", "TRUE", " f ", None]) | HOSTILE

#: What may be written into each column.
KINDS: dict[str, st.SearchStrategy[Any]] = {
    "customer_id": IDS, "ticket_id": IDS, "signup_date": STAMPS, "churn_date": STAMPS,
    "responded_at": STAMPS, "created_at": STAMPS, "resolved_at": STAMPS,
    "nps_score": TEXT_SCORES | NUMBER_SCORES, "csat_score": TEXT_SCORES | NUMBER_SCORES,
    "tier": HOSTILE, "channel": HOSTILE, "is_complaint": FLAGS,
}


@st.composite
def corrupted(draw: st.DrawFn) -> dict[str, Table]:
    tables = _base()
    for _ in range(draw(st.integers(1, 12))):
        table = draw(st.sampled_from(sorted(tables)))
        col = draw(st.sampled_from(sorted(tables[table])))
        row = draw(st.integers(0, len(tables[table][col]) - 1))
        if col in ("customer_id", "ticket_id") and draw(st.booleans()):
            # a duplicate id or another customer's id, as exports have them
            value = tables[table][col][draw(st.integers(0, len(tables[table][col]) - 1))]
        else:
            value = draw(KINDS[col])
        tables[table][col][row] = value
    return tables


def _column(values: list[Any]) -> pa.Array:
    """Numbers stay numbers (NaN stays NaN); a column holding any text is all text."""
    if any(isinstance(v, str) for v in values):
        values = [None if v is None else v if isinstance(v, str) else _text(v) for v in values]
        return pa.array(values, pa.string())
    if any(isinstance(v, float) for v in values):
        return pa.array([None if v is None else float(v) for v in values], pa.float64())
    return pa.array(values, pa.int64())


def _text(v: Any) -> str:
    if isinstance(v, float):
        return "" if math.isnan(v) else f"{v:g}"
    return str(v)


def _write_csv(table: pa.Table, path: Path) -> None:
    # As an export writes it: empty for null and NaN, whole floats without ".0".
    with open(path, "w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(table.column_names)
        for row in table.to_pylist():
            out.writerow(["" if v is None else _text(v) for v in row.values()])


def _source(engine: str, table: pa.Table, folder: Path, name: str) -> Any:
    if engine == "pyarrow":
        return table
    if engine == "pandas":
        return table.to_pandas()
    if engine == "polars":
        return pl.from_arrow(table)
    if engine == "duckdb":
        return duckdb.from_arrow(table)
    if engine == "parquet":
        pq.write_table(table, folder / f"{name}.parquet")
        return str(folder / f"{name}.parquet")
    _write_csv(table, folder / f"{name}.csv")
    return str(folder / f"{name}.csv")


def _outcome(engine: str, tables: dict[str, pa.Table]) -> Any:
    with tempfile.TemporaryDirectory() as tmp:
        sources = {t: _source(engine, a, Path(tmp), t) for t, a in tables.items()}
        try:
            data = rm.load_dataset(sources)
        except RolloutMetricsError as exc:
            return exc
        for r in data.rows.itertuples():
            assert r.rows_read == r.rows_excluded + r.rows_used, (engine, r)
            assert r.rows_read == tables[r.table].num_rows, (engine, r)
        return (data.rows.to_dict("records"),
                sorted(data.quality[["table", "rule", "column", "rows"]]
                       .itertuples(index=False, name=None)))


@settings(max_examples=200, deadline=None, derandomize=True, database=None,
          phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(corrupted())
def test_every_engine_reads_a_corrupted_dataset_alike(raw: dict[str, Table]) -> None:
    tables = {t: pa.table({c: _column(v) for c, v in cols.items()}) for t, cols in raw.items()}
    outcomes = {e: _outcome(e, tables) for e in ENGINES}
    errors = {e: o for e, o in outcomes.items() if isinstance(o, Exception)}
    for engine, exc in errors.items():
        message = str(exc)
        assert any(f"{t}." in message or f"{t}:" in message or f"{t} (" in message
                   for t in tables), (engine, message)
        assert any(c in message for t in tables.values() for c in t.column_names), (
            engine, message)
    if errors:
        assert set(errors) == set(ENGINES), {e: str(o)[:200] for e, o in outcomes.items()}
        kinds = {type(e).__name__ for e in errors.values()}
        assert len(kinds) == 1, {e: str(o)[:200] for e, o in errors.items()}
        return
    first = outcomes["pandas"]
    for engine, got in outcomes.items():
        assert got == first, (engine, pd.DataFrame(got[1]), pd.DataFrame(first[1]))
