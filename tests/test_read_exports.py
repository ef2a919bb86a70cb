"""Real exports: Russian CSV (cp1251, UTF-8 with BOM) and Excel, US dates, reading options.

Every dialect of the same data (``export_fixtures.py``) loads to the same rows, the same
quality table and the same ``compare`` numbers as the canonical CSV; pandas, Polars and
DuckDB frames give the same quality table with the same options; every rejected input has
its message checked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import polars as pl
import pytest

import rollout_metrics as rm
from export_fixtures import (
    RU_COLUMNS,
    russian,
    write_canonical,
    write_english,
    write_excel,
    write_russian,
)
from rollout_metrics import DataValidationError, ReadOptions

ROLLOUT = rm.Rollout("2025-09-01")
METRICS = ["nps", "csat", "churn", "complaints", "handling_time"]
RU = ReadOptions(decimal=",")


def _numbers(data: rm.Dataset) -> pd.DataFrame:
    cols = ["metric", "segment", "n_before", "n_after", "before", "after", "p_value"]
    return rm.compare(data, ROLLOUT, METRICS, by="tier")[cols].round(9)


def _quality(data: rm.Dataset) -> pd.DataFrame:
    return data.quality[["table", "rule", "column", "rows"]]


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("exports")
    write_canonical(root / "canonical")
    write_russian(root / "ru-cp1251")
    write_russian(root / "ru-utf8-bom", "utf-8-sig", ("ИСТИНА", "ЛОЖЬ"))
    write_excel(root / "ru-xlsx")
    write_excel(root / "ru-xlsx-parts", one_workbook=False)
    write_english(root / "en-us")
    write_english(root / "en-ambiguous", ambiguous=True)
    return root


@pytest.fixture(scope="module")
def canonical(exports: Path) -> rm.Dataset:
    return rm.load_dataset(exports / "canonical")


def test_canonical_has_the_planted_bad_rows(canonical: rm.Dataset) -> None:
    assert canonical.rows.rows_read.tolist() == [600, 3789, 4771]
    assert _quality(canonical).to_dict("records") == [
        {"table": "surveys", "rule": "nps_score outside 0-10", "column": "nps_score", "rows": 1},
        {"table": "surveys", "rule": "unknown customer_id (not in customers)",
         "column": "customer_id", "rows": 1},
    ]


@pytest.mark.parametrize(("folder", "read"), [
    ("ru-cp1251", RU),                                  # everything detected but decimal
    ("ru-cp1251", ReadOptions(encoding="cp1251", delimiter=";", decimal=",",
                              date_format="%d.%m.%Y %H:%M")),
    ("ru-utf8-bom", RU),
    ("ru-xlsx", None),                                  # one workbook, a sheet per table
    ("ru-xlsx/export.xlsx", None),
    ("ru-xlsx-parts", None),                            # customers.xlsx, surveys.xlsx, ...
])
def test_russian_export_equals_canonical(exports: Path, canonical: rm.Dataset, folder: str,
                                         read: ReadOptions | None) -> None:
    data = rm.load_dataset(exports / folder, columns=RU_COLUMNS, read=read)
    pd.testing.assert_frame_equal(data.rows, canonical.rows)
    pd.testing.assert_frame_equal(_quality(data), _quality(canonical))
    pd.testing.assert_frame_equal(_numbers(data), _numbers(canonical))
    assert set(data.customers.collect().get_column("tier").to_list()) == {
        "новый", "regular", "ВИП"}


def test_us_dates_are_read_month_first(exports: Path, canonical: rm.Dataset) -> None:
    data = rm.load_dataset(exports / "en-us")
    pd.testing.assert_frame_equal(_quality(data), _quality(canonical))
    pd.testing.assert_frame_equal(_numbers(data), _numbers(canonical))


def test_ambiguous_dates_ask_for_the_format(exports: Path) -> None:
    with pytest.raises(DataValidationError, match=(
            r"customers\.signup_date: \d+ dates such as '\d\d/\d\d/\d{4} 00:00'.* could be "
            r"day-first or month-first \(no day above 12 tells which\); pass the format, e\.g\. "
            r"read=ReadOptions\(date_format='%d\.%m\.%Y %H:%M'\)")):
        rm.load_dataset(exports / "en-ambiguous")
    data = rm.load_dataset(exports / "en-ambiguous", read=ReadOptions(
        date_format="%m/%d/%Y %H:%M"))
    # Only days 1-12 were kept per table: surveys and tickets of dropped customers are unknown.
    assert set(data.quality["rule"]) <= {"nps_score outside 0-10",
                                          "unknown customer_id (not in customers)"}
    assert data.rows.rows_read.tolist()[0] > 0


def test_day_first_and_month_first_together_is_an_error(tmp_path: Path) -> None:
    pd.DataFrame({"customer_id": [1, 2], "signup_date": ["31.01.2025", "01/31/2025"]}
                 ).to_csv(tmp_path / "customers.csv", index=False)
    with pytest.raises(DataValidationError, match=(
            r"customers\.signup_date has dates with a first field above 12 \('31\.01\.2025'\) "
            r"and customers\.signup_date dates with a second field above 12 \('01/31/2025'\): "
            r"day-first and month-first cannot both be right")):
        rm.load_dataset(tmp_path)


def _frames(engine: str) -> dict[str, Any]:
    text = russian(("ИСТИНА", "ЛОЖЬ"))
    if engine == "pandas":
        return text
    if engine == "polars":
        return {t: pl.from_pandas(df) for t, df in text.items()}
    con = duckdb.connect()
    out = {}
    for t, df in text.items():
        con.register(f"raw_{t}", df)
        out[t] = con.sql(f"SELECT * FROM raw_{t}")
    return out


@pytest.mark.parametrize("engine", ["pandas", "polars", "duckdb"])
def test_frames_give_the_same_quality_as_files(engine: str, canonical: rm.Dataset) -> None:
    data = rm.load_dataset(_frames(engine), columns=RU_COLUMNS, read=RU)
    pd.testing.assert_frame_equal(data.rows, canonical.rows)
    pd.testing.assert_frame_equal(_quality(data), _quality(canonical))
    pd.testing.assert_frame_equal(_numbers(data), _numbers(canonical))


def test_plain_day_first_dates_read_the_same_from_a_file_and_pandas(tmp_path: Path) -> None:
    customers = pd.DataFrame({"customer_id": ["1", "2"], "signup_date": ["31.08.2025",
                                                                          "01.09.2025"]})
    customers.to_csv(tmp_path / "customers.csv", index=False)
    file_data = rm.load_dataset(tmp_path)
    frame_data = rm.load_dataset({"customers": customers})
    from_file = file_data.customers.collect().get_column("signup_date").to_list()
    from_frame = frame_data.customers.collect().get_column("signup_date").to_list()
    assert from_file == from_frame
    assert str(from_file[0]) == "2025-08-31 00:00:00"


def test_extra_flag_words_and_null_markers(tmp_path: Path) -> None:
    customers = pd.DataFrame({"customer_id": [1], "signup_date": ["2025-01-01"]})
    tickets = pd.DataFrame({"ticket_id": [1, 2, 3, 4], "customer_id": [1] * 4,
                            "created_at": ["2025-01-02"] * 4,
                            "resolved_at": ["2025-01-03", "нет данных", "", "2025-01-03"],
                            "is_complaint": ["Да", "ЛОЖЬ", "+", "-"]})
    read = ReadOptions(true_values=("+",), null_values=("нет данных",))
    data = rm.load_dataset({"customers": customers, "tickets": tickets}, read=read)
    got = data.tickets.collect()
    assert got.get_column("is_complaint").to_list() == [True, False, True]
    assert _quality(data).to_dict("records") == [
        {"table": "tickets", "rule": "missing is_complaint", "column": "is_complaint",
         "rows": 1}]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"decimal": ";"}, "read options: decimal must be '.' or ',', got ';'"),
    ({"delimiter": ";;"}, "read options: delimiter must be one character, got ';;'"),
    ({"encoding": "klingon"}, "read options: encoding 'klingon' is not a known text encoding"),
    ({"date_format": "%Y-%m"}, "read options: date_format must hold %d, %m and %Y"),
    ({"true_values": ("нет",)}, r"read options: words both true and false: \['нет'\]"),
    ({"null_values": "NA"}, "read options: null_values must be a list of strings, got 'NA'"),
    ({"decimal": ",", "delimiter": ","}, "read options: decimal ',' needs another delimiter"),
])
def test_bad_read_options(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(DataValidationError, match=message):
        ReadOptions(**kwargs)


def test_read_mapping_names_only_tables(exports: Path) -> None:
    with pytest.raises(DataValidationError, match=(
            r"read: unknown table 'ticket' \(did you mean 'tickets'\?\)")):
        rm.load_dataset(exports / "canonical", read={"ticket": RU})
    with pytest.raises(DataValidationError, match=r"read\['tickets'\] must be a ReadOptions"):
        rm.load_dataset(exports / "canonical", read={"tickets": {"decimal": ","}})  # type: ignore[dict-item]


def test_decimal_commas_without_the_option_name_it(exports: Path, tmp_path: Path) -> None:
    pd.DataFrame({"customer_id": [1], "signup_date": ["2025-01-01"]}).to_csv(
        tmp_path / "customers.csv", index=False)
    pd.DataFrame({"customer_id": [1, 1], "responded_at": ["2025-01-02"] * 2,
                  "nps_score": ["8,0", "7,0"]}).to_csv(tmp_path / "surveys.csv", sep=";",
                                                       index=False)
    with pytest.raises(DataValidationError, match=(
            r"surveys\.nps_score: no value could be read as a number \(values like 8,0 need "
            r"decimal=','\); 2 rows affected")):
        rm.load_dataset(tmp_path)


def test_undecodable_bytes_name_file_and_line(tmp_path: Path) -> None:
    text = "customer_id;signup_date;region\n1;2025-01-01;Москва\n2;2025-01-02;Тула\n"
    data = bytearray(text.encode("utf-8"))
    data[-3] = 0xFF  # a broken byte on line 3
    (tmp_path / "customers.csv").write_bytes(bytes(data))
    with pytest.raises(DataValidationError, match=(
            r"customers \(.*customers\.csv\): byte 0xff at line 3 \(byte \d+\) is not utf-8 "
            r"text, e\.g\. read=ReadOptions\(encoding='cp1251'\)")):
        rm.load_dataset(tmp_path, read=ReadOptions(encoding="utf-8"))


def test_ragged_row_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "customers.csv").write_text(
        "customer_id;signup_date\n1;2025-01-01\n2;2025-01-02;extra\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match=(
            r"customers \(.*customers\.csv\): line 3 has 3 fields, the header has 2 "
            r"\(delimiter ';'\): \['2', '2025-01-02', 'extra'\]")):
        rm.load_dataset(tmp_path)


def test_unreadable_excel(tmp_path: Path) -> None:
    (tmp_path / "customers.xlsx").write_bytes(b"this is no workbook")
    with pytest.raises(DataValidationError, match=(
            r"customers \(.*customers\.xlsx\): not a readable Excel workbook")):
        rm.load_dataset(tmp_path)


def test_workbook_without_table_sheets(exports: Path, tmp_path: Path) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(tmp_path / "export.xlsx"))
    book.add_worksheet("Клиенты").write_row(0, 0, ["id"])
    book.close()
    with pytest.raises(DataValidationError, match=(
            r"export\.xlsx: no sheet is named after a table \(customers, surveys, tickets, orders\); "
            r"sheets: \['Клиенты'\]")):
        rm.load_dataset(tmp_path / "export.xlsx")


def test_missing_sheet_is_named(exports: Path) -> None:
    with pytest.raises(DataValidationError, match=(
            r"customers \(.*export\.xlsx\): no sheet 'Лист9'; sheets: \['customers', "
            r"'surveys', 'tickets'\]")):
        rm.load_dataset({"customers": exports / "ru-xlsx" / "export.xlsx"},
                        read=ReadOptions(sheet="Лист9"))


def test_excel_dates_are_datetimes(exports: Path) -> None:
    data = rm.load_dataset(exports / "ru-xlsx", columns=RU_COLUMNS)
    first = data.customers.collect().get_column("signup_date").to_list()[0]
    assert str(first) == "2025-02-18 00:00:00"


def _config(folder: Path, data: str) -> Path:
    path = folder / "rollout.toml"
    path.write_text(f"[data]\n{data}\n[rollout]\nchange_date = 2025-09-01\n"
                    "[analysis]\nmetrics = [\"nps\", \"complaints\"]\n", encoding="utf-8")
    return path


def test_config_reads_a_russian_export(exports: Path, tmp_path: Path) -> None:
    from rollout_metrics.cli import main
    from rollout_metrics.config import load_config

    mapping = "\n".join(f"[data.columns.{t}]\n" + "\n".join(
        f'"{k}" = "{v}"' for k, v in m.items()) for t, m in RU_COLUMNS.items())
    data = (f'path = "{exports / "ru-cp1251"}"\ndecimal = ","\n'
            f'[data.read.tickets]\ntrue_values = ["+"]\n{mapping}')
    config = load_config(_config(tmp_path, data))
    read = config.data.read_options()
    assert read["tickets"].true_values == ("+",) and read["surveys"].decimal == ","
    out = tmp_path / "report.html"
    assert main(["report", "--config", str(tmp_path / "rollout.toml"), "--out", str(out),
                 "--quiet", "--n-resamples", "50"]) == 0
    assert out.is_file()


def test_config_reports_bad_reading_options(tmp_path: Path) -> None:
    from rollout_metrics.config import load_config
    from rollout_metrics.errors import ConfigError

    (tmp_path / "customers.csv").write_text("customer_id,signup_date\n", encoding="utf-8")
    data = ('path = "."\ndecimal = ";"\ntrue_value = ["+"]\n'
            '[data.read.ticket]\nsep = ";"')
    with pytest.raises(ConfigError, match=(
            r"3 problems: \[data\] unknown key 'true_value' \(did you mean 'true_values'.*"
            r"\[data\] read has unknown table 'ticket' \(did you mean 'tickets'\?\); "
            r"\[data.read.ticket\] unknown key 'sep'.*\[data\] decimal must be '\.' or ',', "
            r"got ';'")):
        load_config(_config(tmp_path, data))


def test_cli_exit_code_2_on_undecodable_file(tmp_path: Path, capsys: Any) -> None:
    from rollout_metrics.cli import main

    (tmp_path / "customers.csv").write_bytes(b"customer_id,signup_date,region\n1,2025-01-01,\xff\n")
    config = _config(tmp_path, 'path = "."\nencoding = "utf-8"')
    assert main(["report", "--config", str(config), "--out", str(tmp_path / "r.html")]) == 2
    assert "byte 0xff at line 2" in capsys.readouterr().err


def test_a_damaged_utf8_file_is_not_guessed_as_another_encoding(tmp_path: Path) -> None:
    # Without encoding=, one broken byte must not make the whole file cp1251 (garbled).
    text = "customer_id;signup_date;region\n" + "".join(
        f"{i};2025-01-0{i % 9 + 1};Москва\n" for i in range(1, 30))
    data = bytearray(text.encode("utf-8"))
    data[-3] = 0xFF
    (tmp_path / "customers.csv").write_bytes(bytes(data))
    with pytest.raises(DataValidationError, match=(
            r"byte 0xff at line 30 .* while the rest of the file reads as UTF-8: the file is "
            r"probably damaged there")):
        rm.load_dataset(tmp_path)
    # A real cp1251 export is still detected.
    (tmp_path / "customers.csv").write_bytes(text.encode("cp1251"))
    data = rm.load_dataset(tmp_path)
    assert data.table("customers").collect()["region"].to_list()[0] == "Москва"


@pytest.mark.parametrize("line", [5, 4000])
def test_a_quoted_value_reads_the_same_early_or_late(
    exports: Path, canonical: rm.Dataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    line: int,
) -> None:
    """The CSV dialect is sniffed from the first rows (``_engine/io.SNIFF_ROWS``); a file
    whose first double quote comes after them is sniffed whole, so ``"Телефон"`` reads as
    ``Телефон`` wherever it sits."""
    from rollout_metrics._engine import io

    monkeypatch.setattr(io, "SNIFF_ROWS", 100)
    for name in ("customers", "surveys"):
        (tmp_path / f"{name}.csv").write_bytes((exports / "canonical" / f"{name}.csv").read_bytes())
    rows = (exports / "canonical" / "tickets.csv").read_text(encoding="utf-8").split("\n")
    fields = rows[line - 1].split(",")
    fields[5] = f'"{fields[5]}"'
    rows[line - 1] = ",".join(fields)
    (tmp_path / "tickets.csv").write_text("\n".join(rows), encoding="utf-8")
    data = rm.load_dataset(tmp_path)
    pd.testing.assert_frame_equal(_quality(data), _quality(canonical))
    pd.testing.assert_frame_equal(_numbers(data), _numbers(canonical))
    channels = data.tickets.select("channel").unique().collect().to_pandas()["channel"]
    assert not channels.str.contains('"').any()
