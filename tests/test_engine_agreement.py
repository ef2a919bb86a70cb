"""The same text, NaN or timestamp gives the same quality table on every engine.

Scores written as text are a sign, digits and an optional decimal part (``1_0``, ``0x5``,
``nan``, ``1e1``, ``inf`` are unparseable); a NaN in a float column is an empty value ("no
answer"); text timestamps are read only in the ISO 8601 forms of ``docs/data.md``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import narwhals as nw
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import rollout_metrics as rm

ENGINES = ("pandas", "polars", "pyarrow", "duckdb", "csv", "parquet")
CUSTOMERS = pd.DataFrame({"customer_id": [1, 2], "signup_date": ["2024-01-01", "2024-02-01"]})


def _source(engine: str, frame: pd.DataFrame, tmp: Path) -> Any:
    """``frame`` (text columns) on ``engine``; files are written as text."""
    if engine == "pandas":
        return frame
    if engine == "polars":
        return pl.from_pandas(frame)
    if engine == "pyarrow":
        return pa.Table.from_pandas(frame, preserve_index=False)
    if engine == "duckdb":
        return duckdb.from_df(frame)
    path = tmp / f"t.{engine}"
    if engine == "csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    return str(path)


def _quality(engine: str, surveys: pd.DataFrame, tmp: Path, **kw: Any) -> list[tuple[str, int]]:
    data = rm.load_dataset({"customers": CUSTOMERS, "surveys": _source(engine, surveys, tmp)},
                           **kw)
    assert int(data.rows["rows_read"].iloc[1]) == len(surveys)
    return list(zip(data.quality["rule"], data.quality["rows"].astype(int), strict=True))


UNPARSEABLE_SCORE = [("unparseable nps_score", 1)]
SCORES = [
    ("1_0", UNPARSEABLE_SCORE), ("0x5", UNPARSEABLE_SCORE), ("nan", UNPARSEABLE_SCORE),
    ("NaN", UNPARSEABLE_SCORE), ("inf", UNPARSEABLE_SCORE), ("-inf", UNPARSEABLE_SCORE),
    ("1e1", UNPARSEABLE_SCORE), ("5,0", UNPARSEABLE_SCORE), ("5.", UNPARSEABLE_SCORE),
    (".5", UNPARSEABLE_SCORE), ("١", UNPARSEABLE_SCORE), ("\xa07", UNPARSEABLE_SCORE),
    ("7 7", UNPARSEABLE_SCORE), ("--7", UNPARSEABLE_SCORE),
    (" 7\t", []), ("+5", []), ("-0", []), ("8.0", []), ("010", []),
    ("8.5", [("nps_score not a whole number", 1)]), ("11", [("nps_score outside 0-10", 1)]),
    ("-1", [("nps_score outside 0-10", 1)]), ("n/a", []), ("  ", []),
]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("value", "expected"), SCORES, ids=[repr(v) for v, _ in SCORES])
def test_text_score_is_read_the_same(engine: str, value: str, expected: list[Any],
                                     tmp_path: Path) -> None:
    surveys = pd.DataFrame({"customer_id": [1, 2, 1], "responded_at": ["2025-01-10"] * 3,
                            "nps_score": [value, "8", "9"]})
    assert _quality(engine, surveys, tmp_path) == expected


@pytest.mark.parametrize("engine", ENGINES)
def test_decimal_comma_scores(engine: str, tmp_path: Path) -> None:
    surveys = pd.DataFrame({"customer_id": [1] * 5, "responded_at": ["2025-01-10"] * 5,
                            "nps_score": ["8,0", "8.0", "8,5", "1,0,0", "8"]})
    got = _quality(engine, surveys, tmp_path, read=rm.ReadOptions(decimal=","))
    assert got == [("unparseable nps_score", 1), ("nps_score not a whole number", 1)]


def _nan_scores(engine: str, tmp: Path) -> Any:
    """``nps_score`` [NaN, 8.0, 9.0] as a float column holding a real NaN (not a null)."""
    nan = float("nan")
    if engine == "pandas":
        return pd.DataFrame({"customer_id": [1, 2, 1], "responded_at": ["2025-01-10"] * 3,
                             "nps_score": [nan, 8.0, 9.0]})
    arrow = pa.table({"customer_id": [1, 2, 1], "responded_at": ["2025-01-10"] * 3,
                      "nps_score": pa.array([nan, 8.0, 9.0], pa.float64(), from_pandas=False)})
    if engine == "pyarrow":
        return arrow
    if engine == "polars":
        frame = pl.from_arrow(arrow)
        assert isinstance(frame, pl.DataFrame) and frame["nps_score"].is_nan().sum() == 1
        return frame
    if engine == "duckdb":
        return duckdb.sql("SELECT * FROM (VALUES (1, '2025-01-10', 'nan'::DOUBLE), "
                          "(2, '2025-01-10', 8.0), (1, '2025-01-10', 9.0)) "
                          "t(customer_id, responded_at, nps_score)")
    path = tmp / "s.parquet"
    pq.write_table(arrow, path)  # as Spark or Polars write a NaN
    return str(path)


@pytest.mark.parametrize("engine", ["pandas", "polars", "pyarrow", "duckdb", "parquet"])
def test_nan_in_a_float_score_column_is_no_answer(engine: str, tmp_path: Path) -> None:
    data = rm.load_dataset({"customers": CUSTOMERS, "surveys": _nan_scores(engine, tmp_path)})
    assert data.quality.empty
    assert data.rows["rows_used"].tolist() == [2, 3]
    scores = nw.from_native(data.table("surveys").collect().to_native()).to_pandas()
    assert sorted(scores["nps_score"].tolist(), key=lambda v: -1 if math.isnan(v) else v)[1:] == [
        8.0, 9.0]
    assert scores["nps_score"].isna().sum() == 1


UNPARSEABLE_TS = [("unparseable responded_at", 1)]
MIXED = [("mixed naive/aware timestamps in responded_at", 1)]
TIMESTAMPS = [
    ("2025-01-10T10", UNPARSEABLE_TS), ("2025-01-10 24:00:00", UNPARSEABLE_TS),
    ("2025-01-10 24:00", UNPARSEABLE_TS), ("2025-01-10 10:00:00 BC", UNPARSEABLE_TS),
    ("2025-01-10 10:00:00 UTC", UNPARSEABLE_TS), ("2025-01-10 10:00:00 +02:00", UNPARSEABLE_TS),
    ("2025-01-10 10:00:00 Z", UNPARSEABLE_TS), ("2025-01-10 9:00", UNPARSEABLE_TS),
    ("2025-1-10", UNPARSEABLE_TS), ("20250110", UNPARSEABLE_TS), ("2025-02-30", UNPARSEABLE_TS),
    ("2025-01-10 10:60", UNPARSEABLE_TS), ("2025-01-10 10:00:60", UNPARSEABLE_TS),
    ("2025-01-10+02:00", UNPARSEABLE_TS), ("2025-01-10T10:00:00z", UNPARSEABLE_TS),
    ("2025-01-10  10:00", UNPARSEABLE_TS), ("today", UNPARSEABLE_TS),
    ("٢٠٢٥-٠١-١٠", UNPARSEABLE_TS), ("2025-01-10 10:00:00.", UNPARSEABLE_TS),
    ("2025-01-10 10:00:00+02", MIXED), ("2025-01-10T10:00:00+0200", MIXED),
    ("2025-01-10T10:00:00Z", MIXED), ("2025-01-10T10:00:00.5-05:30", MIXED),
    ("2025-01-10", []), ("2025-01-10T10:00", []), ("\t2025-01-10 10:00:00 ", []),
    ("2025-01-10 10:00:00.123456789", []), ("0000-01-01", [("responded_at outside 1900-2199", 1)]),
]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("value", "expected"), TIMESTAMPS, ids=[v for v, _ in TIMESTAMPS])
def test_text_timestamp_is_read_the_same(engine: str, value: str, expected: list[Any],
                                         tmp_path: Path) -> None:
    surveys = pd.DataFrame({"customer_id": [1, 2, 1],
                            "responded_at": [value, "2025-01-11 10:00:00", "2025-01-12"],
                            "nps_score": [8, 8, 9]})
    assert _quality(engine, surveys, tmp_path) == expected


#: Offsets, each to Europe/Berlin wall-clock time (UTC+1 in January).
AWARE = {
    "2025-01-10T10:00:00+02:00": "2025-01-10 09:00:00",
    "2025-01-10 10:00:00+0200": "2025-01-10 09:00:00",
    "2025-01-10 10:00+02": "2025-01-10 09:00:00",
    "2025-01-10T10:00:00.250Z": "2025-01-10 11:00:00.250000",
    "2025-01-10T10:00:00-05:30": "2025-01-10 16:30:00",
    "2025-01-10 10:00:00": None,  # naive among aware: the minority, excluded
}


@pytest.mark.parametrize("engine", ENGINES)
def test_offsets_are_converted_the_same(engine: str, tmp_path: Path) -> None:
    values = list(AWARE)
    surveys = pd.DataFrame({"customer_id": [1] * len(values), "responded_at": values,
                            "nps_score": list(range(len(values)))})
    data = rm.load_dataset({"customers": CUSTOMERS,
                            "surveys": _source(engine, surveys, tmp_path)},
                           timezone="Europe/Berlin")
    assert data.quality["rule"].tolist() == ["mixed naive/aware timestamps in responded_at"]
    kept = nw.from_native(data.table("surveys").collect().to_native()).to_pandas()
    got = {values[int(s)]: str(t) for s, t in zip(kept["nps_score"], kept["responded_at"],
                                                   strict=True)}
    assert got == {k: v for k, v in AWARE.items() if v is not None}


SOURCES: dict[str, Callable[[pd.DataFrame], Any]] = {
    "pandas": lambda f: f, "polars": pl.from_pandas, "duckdb": duckdb.from_df}


@pytest.mark.parametrize("engine", list(SOURCES))
def test_unicode_space_is_not_stripped_from_flags_and_markers(engine: str) -> None:
    tickets = pd.DataFrame({"ticket_id": [1, 2, 3], "customer_id": [1, 1, 2],
                            "created_at": ["2025-01-10"] * 3,
                            "is_complaint": ["\xa0yes", " yes\t", "\u2003-"]})
    data = rm.load_dataset({"customers": CUSTOMERS, "tickets": SOURCES[engine](tickets)})
    assert list(zip(data.quality["rule"], data.quality["rows"], strict=True)) == [
        ("unparseable is_complaint", 2)]


@pytest.mark.parametrize("engine", ENGINES)
def test_integer_ids_with_a_gap_match_text_ids(engine: str, tmp_path: Path) -> None:
    # pandas holds integer ids with a null as float64 (2.0): compared with text ids they are
    # "2", as the integer column with a null of the other engines reads.
    customers = pa.table({"customer_id": pa.array([1, 2, None], pa.int64()),
                          "signup_date": ["2024-01-01"] * 3})
    surveys = pd.DataFrame({"customer_id": ["1", "2", "C-4"],
                            "responded_at": ["2025-01-10"] * 3, "nps_score": ["1", "2", "3"]})
    frames = {"pandas": customers.to_pandas(), "polars": pl.from_arrow(customers),
              "pyarrow": customers, "duckdb": duckdb.from_arrow(customers)}
    (tmp_path / "c").mkdir()
    (tmp_path / "s").mkdir()
    if engine in frames:
        source = frames[engine]
    else:
        source = _source(engine, customers.to_pandas().astype({"customer_id": "Int64"}),
                         tmp_path / "c")
    data = rm.load_dataset({"customers": source,
                            "surveys": _source(engine, surveys, tmp_path / "s")})
    assert list(zip(data.quality["table"], data.quality["rule"], data.quality["rows"],
                    strict=True)) == [("customers", "missing customer_id", 1),
                                      ("surveys", "unknown customer_id (not in customers)", 1)]


@pytest.mark.parametrize("engine", list(SOURCES))
def test_float_ids_with_a_gap_beside_text_customer_ids(engine: str) -> None:
    customers = pd.DataFrame({"customer_id": ["1", "C-4"], "signup_date": ["2024-01-01"] * 2})
    surveys = pd.DataFrame({"customer_id": [1.0, None, 2.5, float("inf")],
                            "responded_at": ["2025-01-10"] * 4, "nps_score": [1, 2, 3, 4]})
    data = rm.load_dataset({"customers": SOURCES[engine](customers),
                            "surveys": SOURCES[engine](surveys)})
    assert list(zip(data.quality["rule"], data.quality["rows"], strict=True)) == [
        ("missing customer_id", 1), ("unknown customer_id (not in customers)", 2)]
