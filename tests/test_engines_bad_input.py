"""Bad input gives the same clear error, and the same counts, whatever the engine."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import rollout_metrics as rm
from rollout_metrics import DataValidationError, MissingColumnError

ENGINES: dict[str, Callable[[pd.DataFrame], Any]] = {
    "pandas": lambda f: f,
    "polars": pl.from_pandas,
    "polars-lazy": lambda f: pl.from_pandas(f).lazy(),
    "pyarrow": lambda f: pa.Table.from_pandas(f, preserve_index=False),
    "duckdb": lambda f: duckdb.from_df(f),
}


def _on(engine: str, tables: dict[str, pd.DataFrame]) -> dict[str, Any]:
    return {k: ENGINES[engine](v) for k, v in tables.items()}


@pytest.mark.parametrize("engine", list(ENGINES))
def test_missing_column(engine: str, tiny: dict[str, pd.DataFrame]) -> None:
    tables = {"customers": tiny["customers"],
              "surveys": tiny["surveys"].drop(columns="responded_at")}
    with pytest.raises(MissingColumnError, match=r"surveys: required column 'responded_at' "
                       r"\(when the survey was answered\) is missing\. Available columns: "
                       r"\['customer_id', 'nps_score', 'csat_score'\]"):
        rm.load_dataset(_on(engine, tables))


@pytest.mark.parametrize("engine", list(ENGINES))
def test_wrong_type(engine: str, tiny: dict[str, pd.DataFrame]) -> None:
    tables = {"customers": tiny["customers"],
              "surveys": tiny["surveys"].assign(responded_at=[1.5, 2.5])}
    with pytest.raises(DataValidationError, match=r"surveys\.responded_at: expected timestamps, "
                       r"got a column of type Float64 that cannot be converted; 2 rows"):
        rm.load_dataset(_on(engine, tables))


@pytest.mark.parametrize("engine", list(ENGINES))
def test_out_of_range_score(engine: str, tiny: dict[str, pd.DataFrame]) -> None:
    tables = {"customers": tiny["customers"],
              "surveys": tiny["surveys"].assign(nps_score=[9, 11])}
    data = rm.load_dataset(_on(engine, tables))
    assert data.quality[["table", "rule", "rows"]].to_dict("records") == [
        {"table": "surveys", "rule": "nps_score outside 0-10", "rows": 1}]
    with pytest.raises(DataValidationError, match=r"surveys\.nps_score: 1 rows break the rule "
                       r"'nps_score outside 0-10' \(strict=True\)\. Examples: .*nps_score=11"):
        rm.load_dataset(_on(engine, tables), strict=True)


@pytest.mark.parametrize("engine", ["pandas", "polars", "duckdb"])
def test_year_zero_and_9999_are_excluded_and_counted(engine: str) -> None:
    import duckdb
    import polars as pl

    customers = pd.DataFrame({"customer_id": [1, 2], "signup_date": ["2024-01-01"] * 2})
    tickets = pd.DataFrame({
        "ticket_id": [1, 2, 3], "customer_id": [1, 2, 2],
        "created_at": ["2025-08-01 10:00:00", "0000-01-01 10:00:00", "2025-08-02 10:00:00"],
        "resolved_at": ["2025-08-01 11:00:00", None, "9999-01-01 00:00:00"]})
    convert = {"pandas": lambda d: d, "polars": pl.from_pandas, "duckdb": duckdb.from_df}
    data = rm.load_dataset({"customers": convert[engine](customers),
                            "tickets": convert[engine](tickets)})
    q = data.quality.set_index("rule")["rows"].to_dict()
    assert q == {"created_at outside 1900-2199": 1, "resolved_at outside 1900-2199": 1}
    assert "created_at='0000-01-01 10:00:00'" in data.quality["examples"].iloc[0]


@pytest.mark.parametrize("engine", ["pandas", "polars", "duckdb"])
def test_a_few_offset_timestamps_among_naive_ones_are_counted(engine: str) -> None:
    import duckdb
    import polars as pl

    customers = pd.DataFrame({"customer_id": [1, 2], "signup_date": ["2024-01-01"] * 2})
    tickets = pd.DataFrame({
        "ticket_id": [1, 2, 3], "customer_id": [1, 2, 2],
        "created_at": ["2025-08-01T10:00:00+02:00", "2025-08-01 10:00:00",
                       "2025-08-01 11:00:00"]})
    convert = {"pandas": lambda d: d, "polars": pl.from_pandas, "duckdb": duckdb.from_df}
    data = rm.load_dataset({"customers": convert[engine](customers),
                            "tickets": convert[engine](tickets)})
    assert data.quality.set_index("rule")["rows"].to_dict() == {
        "mixed naive/aware timestamps in created_at": 1}


@pytest.mark.parametrize("engine", ["pandas", "polars", "pyarrow", "duckdb", "parquet", "csv"])
def test_timezone_aware_columns_are_converted_on_every_engine(engine: str, tmp_path: Any
                                                              ) -> None:
    import duckdb
    import polars as pl

    customers = pd.DataFrame({"customer_id": [1, 2], "signup_date": ["2024-01-01"] * 2})
    tickets = pd.DataFrame({"ticket_id": [1, 2], "customer_id": [1, 2],
                            "created_at": pd.to_datetime(["2025-08-01T10:00:00+02:00",
                                                          "2025-08-01T23:30:00+00:00"],
                                                         utc=True)})
    if engine == "parquet":
        tickets.to_parquet(tmp_path / "t.parquet")
        source: Any = str(tmp_path / "t.parquet")
    elif engine == "csv":
        tickets.assign(created_at=["2025-08-01T10:00:00+02:00", "2025-08-01T23:30:00+00:00"]
                       ).to_csv(tmp_path / "t.csv", index=False)
        source = str(tmp_path / "t.csv")
    else:
        source = {"pandas": lambda d: d, "polars": pl.from_pandas, "pyarrow": pa.Table.from_pandas,
                  "duckdb": duckdb.from_df}[engine](tickets)
    data = rm.load_dataset({"customers": customers, "tickets": source}, timezone="Europe/Berlin")
    lo, hi = data.time_range("tickets")
    assert (lo.isoformat(), hi.isoformat()) == ("2025-08-01T10:00:00", "2025-08-02T01:30:00")
