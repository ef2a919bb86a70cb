"""Realistic exports of one small company, written in several dialects for the reading tests.

``canonical()`` is a slice of the bundled sample (customers 1-600, their surveys and tickets,
timestamps to the minute) with Cyrillic segment values and a few bad rows, in canonical form.
``write_russian`` writes it as a Russian helpdesk export (Russian headers, ``;``, dd.mm.yyyy
HH:MM, decimal commas, да/нет, "Н/Д" for empty scores) in cp1251 or UTF-8 with BOM;
``write_excel`` as ``.xlsx`` (dates as Excel date serials), one workbook or a file per table;
``write_english`` as a US export (MM/DD/YYYY, yes/no).  ``RU_COLUMNS`` maps the Russian
headers back.  Run as a script to write every dialect into a folder for a look.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from rollout_metrics.load.dataset import sample_path

RU_COLUMNS = {
    "customers": {"ID клиента": "customer_id", "Дата регистрации": "signup_date",
                  "Дата ухода": "churn_date", "Тариф": "tier", "Регион": "region"},
    "surveys": {"Клиент": "customer_id", "Дата ответа": "responded_at",
                "Оценка NPS": "nps_score", "Оценка CSAT": "csat_score"},
    "tickets": {"Номер обращения": "ticket_id", "Клиент": "customer_id",
                "Создано": "created_at", "Первый ответ": "first_response_at",
                "Решено": "resolved_at", "Канал": "channel", "Жалоба": "is_complaint"},
}
_TIER = {"new": "новый", "standard": "стандарт", "VIP": "ВИП"}
_REGION = {"East": "Восток", "West": "Запад", "North": "Север", "South": "Юг",
           "Central": "Центр"}
_CHANNEL = {"phone": "Телефон", "chat": "Чат", "email": "Почта", "sms": "СМС",
            "social": "Соцсети"}
TIMES = {"customers": ["signup_date", "churn_date"], "surveys": ["responded_at"],
         "tickets": ["created_at", "first_response_at", "resolved_at"]}


def canonical() -> dict[str, pd.DataFrame]:
    """The data in canonical form: ids as integers, timestamps, floats, booleans."""
    folder = sample_path()
    c = pd.read_csv(folder / "customers.csv")
    c = c[c.customer_id <= 600][["customer_id", "signup_date", "churn_date", "tier", "region"]]
    s = pd.read_csv(folder / "surveys.csv")
    s = s[s.customer_id.isin(c.customer_id)].drop(columns="touchpoint")
    t = pd.read_csv(folder / "tickets.csv")
    t = t[t.customer_id.isin(c.customer_id)].drop(columns="category")
    c = c.assign(tier=c.tier.map(_TIER).fillna(c.tier),
                 region=c.region.map(_REGION).fillna(c.region))
    t = t.assign(channel=t.channel.map(_CHANNEL).fillna(t.channel))
    # Bad rows, the same in every dialect: a score out of range, an unknown customer.
    s = pd.concat([s, pd.DataFrame({"customer_id": [1, 9999], "nps_score": [11.0, 7.0],
                                    "csat_score": [None, 4.0],
                                    "responded_at": ["2025-06-02 10:00", "2025-06-03 11:00"]})])
    tables = {"customers": c, "surveys": s, "tickets": t}
    for name, cols in TIMES.items():
        df = tables[name]
        for col in cols:
            df[col] = pd.to_datetime(df[col], format="ISO8601").dt.floor("min")
        tables[name] = df.reset_index(drop=True)
    return tables


def _text_time(series: pd.Series, fmt: str) -> pd.Series:
    return series.dt.strftime(fmt).where(series.notna(), "")


def write_canonical(folder: Path) -> Path:
    """The canonical CSV files (UTF-8, ``,``, ISO timestamps, true/false)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in canonical().items():
        df.to_csv(folder / f"{name}.csv", index=False, date_format="%Y-%m-%d %H:%M")
    return folder


def russian(flags: tuple[str, str] = ("да", "нет")) -> dict[str, pd.DataFrame]:
    """The Russian export as text: headers, dates, decimal commas and flags as written."""
    out = {}
    for name, df in canonical().items():
        df = df.copy()
        for col in TIMES[name]:
            fmt = "%d.%m.%Y" if col == "signup_date" else "%d.%m.%Y %H:%M"
            df[col] = _text_time(df[col], fmt)
        if name == "surveys":
            for col in ("nps_score", "csat_score"):
                df[col] = df[col].map(lambda v: "Н/Д" if pd.isna(v) else f"{v:.1f}".replace(
                    ".", ","))
        if name == "tickets":
            df["is_complaint"] = df["is_complaint"].map({True: flags[0], False: flags[1]})
        back = {v: k for k, v in RU_COLUMNS[name].items()}
        out[name] = df.rename(columns=back).astype(str).replace({"nan": ""})
    return out


def write_russian(folder: Path, encoding: str = "cp1251",
                  flags: tuple[str, str] = ("да", "нет")) -> Path:
    """The Russian export as ``;``-separated CSV files in ``encoding``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in russian(flags).items():
        df.to_csv(folder / f"{name}.csv", sep=";", index=False, encoding=encoding)
    return folder


def write_excel(folder: Path, *, one_workbook: bool = True) -> Path:
    """The Russian export as ``.xlsx``: real date cells (Excel serials), numbers, да/нет."""
    import xlsxwriter

    folder.mkdir(parents=True, exist_ok=True)
    data = canonical()
    books = {"export.xlsx": list(data)} if one_workbook else {f"{t}.xlsx": [t] for t in data}
    for file, tables in books.items():
        book = xlsxwriter.Workbook(str(folder / file))
        when = book.add_format({"num_format": "dd.mm.yyyy hh:mm"})
        for name in tables:
            df = data[name].copy()
            if name == "tickets":
                df["is_complaint"] = df["is_complaint"].map({True: "да", False: "нет"})
            df = df.rename(columns={v: k for k, v in RU_COLUMNS[name].items()})
            sheet = book.add_worksheet(name if one_workbook else "Лист1")
            sheet.write_row(0, 0, list(df.columns))
            for i, row in enumerate(df.itertuples(index=False), start=1):
                for j, v in enumerate(row):
                    if isinstance(v, pd.Timestamp):
                        sheet.write_datetime(i, j, v.to_pydatetime(), when)
                    elif not pd.isna(v):
                        sheet.write(i, j, v)
        book.close()
    return folder


def write_english(folder: Path, *, ambiguous: bool = False) -> Path:
    """A US export: MM/DD/YYYY hh:mm, yes/no flags, ``,``.  ``ambiguous`` keeps only days
    1-12, so nothing tells day-first from month-first."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in canonical().items():
        df = df.copy()
        if ambiguous:
            for col in TIMES[name]:
                df = df[df[col].isna() | (df[col].dt.day <= 12)]
        for col in TIMES[name]:
            df[col] = _text_time(df[col], "%m/%d/%Y %H:%M")
        if name == "tickets":
            df["is_complaint"] = df["is_complaint"].map({True: "Yes", False: "No"})
        df.to_csv(folder / f"{name}.csv", index=False)
    return folder


if __name__ == "__main__":  # pragma: no cover
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "exports")
    write_canonical(root / "canonical")
    write_russian(root / "ru-cp1251")
    write_russian(root / "ru-utf8-bom", "utf-8-sig", ("ИСТИНА", "ЛОЖЬ"))
    write_excel(root / "ru-xlsx")
    write_excel(root / "ru-xlsx-per-table", one_workbook=False)
    write_english(root / "en-us")
    print(f"written to {root}")
