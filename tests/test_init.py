"""``rollout-metrics init``: a starter configuration that loads the export without edits.

Each dialect of ``export_fixtures.py`` (cp1251 and UTF-8-BOM Russian CSV with Russian file
names, a Russian workbook with Russian sheet names, a US export) goes through ``init``; the
written configuration loads to the same rows, quality table and numbers as the canonical
files, and the report runs from it.  What ``init`` cannot tell is marked ``CHECK``.
"""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import rollout_metrics as rm
from export_fixtures import write_canonical, write_english, write_excel, write_russian
from rollout_metrics.cli import main
from rollout_metrics.config import load_config
from rollout_metrics.load.dataset import sample_path
from rollout_metrics.metrics import DEFAULT_METRICS, get_metric
from rollout_metrics.starter import inspect_exports

ROLLOUT = rm.Rollout("2025-09-01")
METRICS = ["nps", "csat", "churn", "complaints", "handling_time"]
RU_NAMES = {"customers": "Клиенты", "surveys": "Опросы NPS", "tickets": "Обращения 2025"}


def _numbers(data: rm.Dataset, by: str) -> pd.DataFrame:
    cols = ["metric", "segment", "n_before", "n_after", "before", "after", "p_value"]
    return rm.compare(data, ROLLOUT, METRICS, by=by)[cols].round(9)


def _quality(data: rm.Dataset) -> pd.DataFrame:
    return data.quality[["table", "rule", "column", "rows"]]


def _russian_names(folder: Path) -> Path:
    for table, name in RU_NAMES.items():
        (folder / f"{table}.csv").rename(folder / f"{name}.csv")
    return folder


def _russian_sheets(folder: Path) -> Path:
    """The workbook with Russian sheet names (python-calamine reads; xlsxwriter writes)."""
    import xlsxwriter
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(folder / "export.xlsx"))
    out = xlsxwriter.Workbook(str(folder / "Выгрузка CRM.xlsx"))
    when = out.add_format({"num_format": "dd.mm.yyyy hh:mm"})
    for table, name in RU_NAMES.items():
        sheet = out.add_worksheet(name)
        for i, row in enumerate(book.get_sheet_by_name(table).to_python()):
            for j, v in enumerate(row):
                if hasattr(v, "year"):
                    sheet.write_datetime(i, j, v, when)
                elif v != "":
                    sheet.write(i, j, v)
    out.close()
    (folder / "export.xlsx").unlink()
    return folder


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("init")
    write_canonical(root / "canonical")
    _russian_names(write_russian(root / "ru-cp1251"))
    _russian_names(write_russian(root / "ru-utf8-bom", "utf-8-sig", ("ИСТИНА", "ЛОЖЬ")))
    _russian_sheets(write_excel(root / "ru-xlsx"))
    write_english(root / "en-us")
    write_english(root / "en-ambiguous", ambiguous=True)
    return root


@pytest.fixture(scope="module")
def canonical(exports: Path) -> rm.Dataset:
    return rm.load_dataset(exports / "canonical")


def _init(folder: Path, *args: str) -> int:
    return main(["init", str(folder), *args])


def _load(config_path: Path) -> tuple[Any, rm.Dataset]:
    config = load_config(config_path)
    data = rm.load_dataset(config.data.source(), columns=config.data.columns,
                           read=config.data.read_options(), timezone=config.rollout.timezone)
    return config, data


@pytest.mark.parametrize(("folder", "tier"), [
    ("ru-cp1251", "Тариф"), ("ru-utf8-bom", "Тариф"), ("ru-xlsx", "Тариф"),
    ("en-us", "tier"),
])
def test_init_config_loads_the_export_as_canonical(exports: Path, canonical: rm.Dataset,
                                                   folder: str, tier: str, tmp_path: Path
                                                   ) -> None:
    work = shutil.copytree(exports / folder, tmp_path / folder)
    assert _init(work, "--change-date", "2025-09-01") == 0
    text = (work / "rollout.toml").read_text(encoding="utf-8")
    tomllib.loads(text)
    # Only the timezone is left to check: the data settle everything else.
    assert [line for line in text.splitlines() if "CHECK:" in line] == [
        line for line in text.splitlines() if line.startswith("timezone")]
    config, data = _load(work / "rollout.toml")
    assert config.lang == ("en" if folder.startswith("en") else "ru")
    assert config.analysis.by == [[tier], ["region" if tier == "tier" else "Регион"],
                                  ["channel"]]
    # the export has no orders: the revenue metrics are not written
    assert list(config.analysis.metrics) == [m for m in DEFAULT_METRICS
                                             if get_metric(m).table != "orders"]
    pd.testing.assert_frame_equal(data.rows, canonical.rows)
    pd.testing.assert_frame_equal(_quality(data), _quality(canonical))
    pd.testing.assert_frame_equal(_numbers(data, tier), _numbers(canonical, "tier"))


def test_init_then_report_from_russian_file_names(exports: Path, tmp_path: Path,
                                                  capsys: Any) -> None:
    work = shutil.copytree(exports / "ru-cp1251", tmp_path / "ru")
    assert _init(work, "--change-date", "2025-09-01") == 0
    err = capsys.readouterr().err
    assert "customers: Клиенты.csv (3 columns mapped, 2 segment columns)" in err
    assert "tickets: Обращения 2025.csv (7 columns mapped" in err
    assert "1 line(s) marked CHECK" in err
    out = tmp_path / "report.html"
    assert main(["report", "--config", str(work / "rollout.toml"), "--out", str(out),
                 "--quiet", "--n-resamples", "200"]) == 0
    html = out.read_text(encoding="utf-8")
    assert 'lang="ru"' in html and "Тариф" in html


def test_ambiguous_dates_get_a_format_marked_check(exports: Path, tmp_path: Path) -> None:
    work = shutil.copytree(exports / "en-ambiguous", tmp_path / "en")
    assert _init(work, "--change-date", "2025-09-01") == 0
    text = (work / "rollout.toml").read_text(encoding="utf-8")
    formats = [line for line in text.splitlines() if line.startswith("date_format")]
    assert formats and all('"%m/%d/%Y %H:%M"' in f and "CHECK: no value proves" in f
                           for f in formats)
    _, data = _load(work / "rollout.toml")
    assert data.rows.rows_read.sum() > 0


def test_without_change_date_the_config_asks_for_it(exports: Path, tmp_path: Path,
                                                    capsys: Any) -> None:
    work = shutil.copytree(exports / "en-us", tmp_path / "en")
    assert _init(work) == 0
    assert "(set change_date)" in capsys.readouterr().err
    assert main(["report", "--config", str(work / "rollout.toml"), "--quiet",
                 "--out", str(tmp_path / "r.html")]) == 2
    assert "change_date" in capsys.readouterr().err


def test_doubts_are_marked(tmp_path: Path) -> None:
    (tmp_path / "clients.csv").write_text(
        "id,registered,segment\n" + "".join(f"{i},2025-01-0{i % 9 + 1},A\n"
                                            for i in range(1, 40)), encoding="utf-8")
    # A score column without a known header, taken on its values; an NPS header on text.
    (tmp_path / "feedback.csv").write_text(
        "customer,date,rating,NPS\n" + "".join(f"{i},2025-02-01,{i % 11},x{i}\n"
                                              for i in range(1, 40)), encoding="utf-8")
    (tmp_path / "notes.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    starter = inspect_exports(tmp_path)
    assert set(starter.tables) == {"customers", "surveys"}
    surveys = starter.tables["surveys"]
    assert surveys.mapping == {"customer": "customer_id", "date": "responded_at",
                               "rating": "nps_score"} or surveys.mapping.get(
        "rating") == "nps_score"
    text = starter.text(tmp_path)
    assert "CHECK: surveys: column 'rating' taken as nps_score from its values only" in text
    assert "CHECK: surveys: column 'NPS' is named like nps_score" in text
    assert "# not used: notes.csv (no table recognised)" in text
    assert '# tickets = "..." (none found' in text


def _existing(folder: Path) -> None:
    (folder / "rollout.toml").write_text("x", encoding="utf-8")
    (folder / "a.csv").write_text("customer_id,signup_date\n1,2025-01-01\n", encoding="utf-8")


@pytest.mark.parametrize(("setup", "message"), [
    (lambda p: None, "holds no CSV, Parquet or Excel file"),
    (_existing, "exists; pass --force"),
])
def test_init_errors_exit_2(tmp_path: Path, capsys: Any, setup: Any, message: str) -> None:
    setup(tmp_path)
    assert _init(tmp_path) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_init_on_a_missing_folder(tmp_path: Path, capsys: Any) -> None:
    assert _init(tmp_path / "nowhere") == 2
    assert "is not a folder" in capsys.readouterr().err


def _orders(customers: pd.Series) -> pd.DataFrame:
    """The sample's orders of the export's customers, with one negative amount (counted)."""
    o = pd.read_csv(sample_path() / "orders.csv")
    o = o[o.customer_id.isin(customers)].reset_index(drop=True)
    o.loc[0, "amount"] = -5.0
    o["ordered_at"] = pd.to_datetime(o["ordered_at"], format="ISO8601").dt.floor("min")
    return o


def test_init_maps_a_russian_orders_export(exports: Path, canonical: rm.Dataset,
                                           tmp_path: Path) -> None:
    work = shutil.copytree(exports / "ru-cp1251", tmp_path / "ru")
    orders = _orders(canonical.table("customers").collect().to_pandas()["customer_id"])
    ru = pd.DataFrame({
        "Номер заказа": "З-" + orders["order_id"].astype(str),
        "Клиент": orders["customer_id"].astype(str),
        "Дата заказа": orders["ordered_at"].dt.strftime("%d.%m.%Y %H:%M"),
        "Сумма чека": orders["amount"].map(lambda v: "" if pd.isna(v) else f"{v:.2f}")
        .str.replace(".", ",")})
    ru.to_csv(work / "Заказы.csv", sep=";", index=False, encoding="cp1251")
    assert _init(work, "--change-date", "2025-09-01") == 0
    text = (work / "rollout.toml").read_text(encoding="utf-8")
    assert [line for line in text.splitlines() if "CHECK:" in line] == [
        line for line in text.splitlines() if line.startswith("timezone")]
    assert 'orders = "Заказы.csv"' in text and 'decimal = ","' in text
    config, data = _load(work / "rollout.toml")
    assert "average_check" in config.analysis.metrics
    assert list(config.analysis.metrics) == list(DEFAULT_METRICS)
    reference = rm.load_dataset({
        "customers": canonical.table("customers").collect().to_pandas(),
        "orders": orders.assign(order_id="З-" + orders["order_id"].astype(str),
                                amount=orders["amount"].round(2))})
    assert _quality(data)[_quality(data).table == "orders"].to_dict("records") == [
        {"table": "orders", "rule": "negative amount", "column": "amount", "rows": 1}]
    cols = ["segment", "n_before", "n_after", "before", "after", "p_value"]
    pd.testing.assert_frame_equal(
        rm.compare(data, ROLLOUT, ["average_check", "revenue_per_customer"])[cols],
        rm.compare(reference, ROLLOUT, ["average_check", "revenue_per_customer"])[cols],
        check_exact=False, rtol=1e-9)
