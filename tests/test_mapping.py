"""``columns=`` mistakes are errors naming the table, the closest columns and what exists;
columns that are not ours are listed (``Dataset.extra_columns``).  Same on every engine."""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd
import polars as pl
import pytest

import rollout_metrics as rm
from rollout_metrics.cli import main

CUSTOMERS = pd.DataFrame({"id": [1, 2], "joined": ["2025-01-05", "2025-02-01"],
                          "Тариф": ["VIP", "new"]})
TICKETS = pd.DataFrame({"номер": ["T1", "T2"], "id": [1, 2],
                        "Создано": ["2025-03-01 10:00", "2025-03-02 11:00"],
                        "Канал": ["Чат", "Почта"], "Открыт": ["2025-03-01", "2025-03-02"]})
GOOD = {"customers": {"id": "customer_id", "joined": "signup_date"},
        "tickets": {"номер": "ticket_id", "id": "customer_id", "Создано": "created_at"}}


def _frames(engine: str) -> dict[str, Any]:
    if engine == "pandas":
        return {"customers": CUSTOMERS, "tickets": TICKETS}
    if engine == "polars":
        return {"customers": pl.from_pandas(CUSTOMERS), "tickets": pl.from_pandas(TICKETS)}
    con = duckdb.connect()
    return {"customers": con.from_df(CUSTOMERS), "tickets": con.from_df(TICKETS)}


def _with(table: str, **extra: str) -> dict[str, dict[str, str]]:
    return {**GOOD, table: {**GOOD[table], **extra}}


@pytest.mark.parametrize("engine", ["pandas", "polars", "duckdb"])
@pytest.mark.parametrize(("columns", "message"), [
    # A Latin "K" inside the Cyrillic «Канал».
    (_with("tickets", **{"Kанал": "channel"}),
     "columns=: tickets has no column 'Kанал' (did you mean 'Канал'?); its columns: номер, "
     "id, Создано, Канал, Открыт"),
    ({**GOOD, "ticket": {"Канал": "channel"}},
     "columns=: unknown table 'ticket' (did you mean 'tickets'?); tables: customers, "
     "surveys, tickets"),
    (_with("tickets", Канал="chanel"),
     "tickets: 'Канал' is mapped to 'chanel', which is not one of our columns (did you mean "
     "'channel'?)"),
    (_with("tickets", Открыт="created_at"),
     "tickets: 'Создано' and 'Открыт' are both mapped to 'created_at'"),
    ({**GOOD, "tier": "segment"}, "'tier': a per-table mapping holds only tables"),
])
def test_mapping_mistakes_are_errors(engine: str, columns: dict[str, Any], message: str
                                     ) -> None:
    with pytest.raises(rm.DataValidationError) as err:
        rm.load_dataset(_frames(engine), columns=columns)
    assert message in str(err.value)


def test_every_mistake_in_one_message() -> None:
    columns = {"customer": {"id": "customer_id"}, "tickets": {"nomer": "ticket_id"}}
    with pytest.raises(rm.DataValidationError, match=r"^columns=: 2 problems: unknown table "
                       r"'customer' \(did you mean 'customers'\?\).*tickets has no column "
                       r"'nomer'"):
        rm.load_dataset(_frames("pandas"), columns=columns)


def test_one_mapping_for_every_table() -> None:
    flat = {"id": "customer_id", "joined": "signup_date", "номер": "ticket_id",
            "Создано": "created_at"}
    data = rm.load_dataset(_frames("pandas"), columns=flat)
    assert data.rows.rows_used.tolist() == [2, 2]
    with pytest.raises(rm.DataValidationError,
                       match="no table has a column 'Создан' \\(did you mean 'Создано'"):
        rm.load_dataset(_frames("pandas"), columns={**flat, "Создан": "created_at"})


@pytest.mark.parametrize("engine", ["pandas", "polars", "duckdb"])
def test_columns_that_are_not_ours_are_listed(engine: str) -> None:
    data = rm.load_dataset(_frames(engine), columns=_with("tickets", Канал="channel"))
    assert data.extra_columns == {"customers": ["Тариф"], "tickets": ["Открыт"]}
    # A segment attribute may be renamed to any name that is not close to one of ours.
    data = rm.load_dataset(_frames(engine), columns=_with("customers", Тариф="plan_tier"))
    assert data.extra_columns["customers"] == ["plan_tier"]


def test_cli_lists_extra_columns_and_exits_2_on_a_mistake(tmp_path: Any, capsys: Any) -> None:
    CUSTOMERS.to_csv(tmp_path / "customers.csv", index=False)
    TICKETS.to_csv(tmp_path / "tickets.csv", index=False)
    mapping = "\n".join(f"[data.columns.{t}]\n" + "\n".join(f'"{k}" = "{v}"' for k, v in m.items())
                        for t, m in GOOD.items())
    config = tmp_path / "rollout.toml"
    config.write_text(f'[data]\npath = "."\n{mapping}\n"Kанал" = "channel"\n[rollout]\n'
                      'change_date = 2025-03-02\n[analysis]\nmetrics = "contact_rate"\n',
                      encoding="utf-8")
    assert main(["report", "--config", str(config), "--out", str(tmp_path / "r.html")]) == 2
    err = capsys.readouterr().err
    assert "tickets has no column 'Kанал' (did you mean 'Канал'?)" in err
    assert "Traceback" not in err
