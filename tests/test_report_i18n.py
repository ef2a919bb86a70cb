"""The report in Russian and English: every visible word from the catalogue, Babel numbers,
dates and plurals, plots in the report's language, the language through config and CLI."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from matplotlib.text import Text as MplText

import rollout_metrics as rm
from rollout_metrics import plots
from rollout_metrics.config import load_config
from rollout_metrics.report.i18n import EN, MESSAGES, RU, Text

ROLLOUT = rm.Rollout("2025-09-01", announced="2025-08-11")
NBSP = "\xa0"
#: English words that must never be visible in a Russian report.
ENGLISH = ("the", "and", "after", "before", "significant", "overall", "segment", "segments",
           "delta", "change", "changes", "not", "per", "with", "of", "CI", "MDE", "yes", "no",
           "weekly", "transition", "rows", "metric", "status", "ok", "hours", "share",
           "customers", "worse", "better", "points", "comparisons", "model", "units")
#: Latin words a Russian report may show: product and metric names, the p of p-values.
NAMES = {"NPS", "CSAT", "rollout", "metrics", "p", "n", "z", "Z", "t", "UTC"}


@pytest.fixture(scope="module")
def ru_report(sample: rm.Dataset) -> rm.Report:
    return rm.build_report(sample, ROLLOUT, by=[["tier"], ["channel"]], lang="ru",
                           n_resamples=300, guardrails=["nps[vip].delta < -5"])


@pytest.fixture(scope="module")
def ru_soup(ru_report: rm.Report) -> BeautifulSoup:
    return BeautifulSoup(ru_report.html(), "html.parser")


def _data_values(sample: rm.Dataset) -> set[str]:
    values = {"tier", "channel"}
    for table in ("customers", "tickets"):
        frame = sample.frames[table] if hasattr(sample, "frames") else None
        if frame is not None:
            for col in ("tier", "channel"):
                if col in frame:
                    values |= {str(v) for v in frame[col].unique()}
    return values | {"VIP", "new", "regular", "chat", "email", "phone", "sms", "social"}


def _visible_words(soup: BeautifulSoup) -> list[str]:
    soup = BeautifulSoup(str(soup), "html.parser")
    # Data values and identifiers: segment names, column and table names, the loader's
    # rule descriptions and examples, error notes, method ids, guardrail conditions.
    for sel in ("style", "code", ".segment", ".by", ".seg", "td.name", "td.rule",
                "td.examples", ".raw", "#footer p:first-child", "img"):
        for el in soup.select(sel):
            el.decompose()
    return re.findall(r"[A-Za-z][A-Za-z_]*", soup.get_text(" "))


def test_russian_report_has_no_english_words(ru_soup: BeautifulSoup,
                                             sample: rm.Dataset) -> None:
    words = _visible_words(ru_soup)
    allowed = NAMES | _data_values(sample)
    leftover = sorted({w for w in words if w not in allowed})
    assert leftover == [], leftover
    assert not {w.lower() for w in words} & {w.lower() for w in ENGLISH}
    assert ru_soup.find("html")["lang"] == "ru"


def test_russian_numbers_dates_and_plurals(ru_report: rm.Report,
                                           ru_soup: BeautifulSoup) -> None:
    deltas = [td.get_text() for td in ru_soup.select("#headline td.delta")]
    assert deltas and all("." not in d for d in deltas)
    assert any("," in d for d in deltas) and any(d.startswith("\u2212") for d in deltas)
    big = [td.get_text() for td in ru_soup.select("#headline td.n")]
    assert any(re.fullmatch(rf"\d{{1,3}}{NBSP}\d{{3}}", n) for n in big), big  # 4 322
    lede = ru_soup.select_one(".lede").get_text()
    assert "16 июн." in lede and "2025" in lede and "окно анонса" in lede
    n = int(ru_report.results["p_adjusted"].notna().sum())
    assert n == 128  # «128 сравнений»
    assert "с поправкой на 128 сравнений" in ru_soup.select_one("#summary").get_text()
    assert ru_soup.select_one("h1").get_text() == "Отчёт о внедрении изменений"


@pytest.mark.parametrize(("key", "forms"), [
    ("n_segments", ["1 сегмент", "2 сегмента", "5 сегментов", "21 сегмент"]),
    ("n_rows", ["1 строка", "2 строки", "5 строк", "21 строка"]),
    ("n_days", ["1 день", "2 дня", "5 дней", "21 день"]),
    ("comparisons", ["1 сравнение", "2 сравнения", "5 сравнений", "21 сравнение"]),
])
def test_russian_plural_forms(key: str, forms: list[str]) -> None:
    ru = Text("ru")
    assert [ru(key, n=n) for n in (1, 2, 5, 21)] == forms


def test_plural_of_a_displayed_decimal() -> None:
    ru = Text("ru")
    assert ru.units_after("nps", ru.num(21.0)) == "21,0 пункта"
    assert ru.units_after("nps", ru.num(1, 0)) == "1 пункт"
    assert ru.units_after("handling_time", ru.num(5, 0)) == "5 часов"
    assert Text("en")("n_segments", n=1) == "1 segment"
    assert Text("en").num(-1234.56) == "\u22121,234.6"
    assert Text("ru").num(-1234.56) == f"\u22121{NBSP}234,6"
    assert Text("ru").num(-0.04) == "0,0"  # no negative zero


def test_catalogue_is_complete() -> None:
    assert set(RU) == set(EN)
    ru = MESSAGES["ru"]
    for key, msg in ru.items():
        if not isinstance(msg, str):
            assert {"one", "few", "many", "other"} <= set(msg), key
    assert set(plots.PLOT_TEXT) <= set(EN)


def test_unknown_metric_falls_back_to_the_registry_label() -> None:
    from rollout_metrics.metrics import MetricSpec, Proportion, register_metric, unregister_metric

    register_metric(MetricSpec(
        name="promoter_share", label="Promoters (%)", table="surveys", needs="nps_score",
        kind="counts", columns=("promoters", "nps_n"),
        statistic=lambda s, o: Proportion(int(s["promoters"]), int(s["nps_n"])),
        point=lambda stat, o: stat.share, test="proportion", units="% promoters",
        scale=100.0, direction=1, phrase="the share of promoters", method="z test",
        daily="promoters / NPS responses", delta_units="percentage points"))
    try:
        ru = Text("ru")
        assert ru.label("promoter_share") == "Promoters (%)"
        assert ru.units("promoter_share") == "% promoters"
        assert ru.subject("promoter_share") == "The share of promoters"
        # the registry's own words, except the default units the catalogue knows
        assert ru.units_after("promoter_share", "2,0") == "2,0 процентного пункта"
    finally:
        unregister_metric("promoter_share")


def test_bad_lang(sample: rm.Dataset) -> None:
    with pytest.raises(rm.DataValidationError, match="lang must be one of en, ru"):
        rm.build_report(sample, ROLLOUT, metrics=["nps"], lang="de")


def _figure_words(fig: object) -> list[str]:
    texts = [t.get_text() for t in fig.findobj(MplText)]  # type: ignore[attr-defined]
    return re.findall(r"[A-Za-z][A-Za-z_]*", " ".join(texts))


def test_russian_plots(sample: rm.Dataset, ru_report: rm.Report) -> None:
    ru = Text("ru")
    figs = [
        plots.plot_over_time(sample, ROLLOUT, ["nps", "churn"], text=ru),
        plots.plot_forest(ru_report.results, "handling_time", text=ru),
        plots.plot_heatmap(ru_report.results, text=ru),
        plots.plot_handling_ecdf(sample, ROLLOUT, text=ru),
        plots.plot_churn_survival(sample, ROLLOUT, text=ru),
    ]
    for fig in figs:
        fig.canvas.draw()  # tick labels exist once drawn
    allowed = NAMES | _data_values(sample) | {"ДИ"}
    for fig in figs:
        leftover = {w for w in _figure_words(fig) if w not in allowed}
        assert not leftover, leftover
    forest = figs[1].axes[0]
    assert forest.get_yticklabels()[0].get_text() == "в целом"
    assert "изменение" in forest.get_xlabel() and "часы" in forest.get_xlabel()
    for fig in figs:  # matplotlib's number of decimals, so no two ticks read the same
        for ax in fig.axes:
            labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
            assert len(set(labels)) == len(labels), labels
            assert not any("." in label for label in labels), labels
    heat = [t.get_text() for t in figs[2].axes[0].texts]
    assert any("," in t for t in heat) and not any("." in t for t in heat)


def test_english_default_plots_are_unchanged(sample: rm.Dataset) -> None:
    fig = plots.plot_churn_survival(sample, ROLLOUT)
    assert fig.axes[0].get_xlabel() == "days since the start of the window"


def test_lang_in_config(tmp_path: Path) -> None:
    sample = Path(rm.__file__).parent / "_sample"
    cfg = tmp_path / "r.toml"
    cfg.write_text(f'lang = "ru"\n[data]\npath = "{sample.as_posix()}"\n'
                   '[rollout]\nchange_date = 2025-09-01\n', encoding="utf-8")
    assert load_config(cfg).lang == "ru"
    cfg.write_text(cfg.read_text(encoding="utf-8").replace('"ru"', '"de"'), encoding="utf-8")
    with pytest.raises(rm.ConfigError, match="lang must be one of"):
        load_config(cfg)


def test_cli_lang(tmp_path: Path) -> None:
    from rollout_metrics.cli import main

    out = tmp_path / "ru.html"
    assert main(["report", "--sample", "--lang", "ru", "--quiet", "--out", str(out),
                 "--n-resamples", "100"]) == 0
    soup = BeautifulSoup(out.read_text(encoding="utf-8"), "html.parser")
    assert soup.select_one("h1").get_text() == "Пример отчёта о внедрении изменений"
    assert soup.select_one("#summary h2").get_text() == "Словами"


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_hostile_segment_names_stay_inert(sample_frames: dict[str, object], lang: str) -> None:
    import pandas as pd

    names = {"VIP": "<script>alert(1)</script>", "new": "{{7*7}} {n}", "regular": "$x$ 100%"}
    frames = {k: v.copy() for k, v in sample_frames.items()}  # type: ignore[attr-defined]
    frames["customers"]["tier"] = frames["customers"]["tier"].replace(names)
    data = rm.load_dataset(frames)
    rep = rm.build_report(data, ROLLOUT, by="tier", metrics=["nps", "handling_time"],
                          lang=lang, n_resamples=100)
    html = rep.html()
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find_all("script") == [] and "<script>alert" not in html
    text = soup.get_text(" ")
    for name in names.values():
        assert name in text, name
    tile_segments = " ".join(li.get_text() for li in soup.select(".tile-segments li"))
    assert "<script>alert(1)</script>" in tile_segments  # NPS of VIP fell: shown as text
    # The grid and the forest plots, drawn by the page, show the names as text too.
    for where in ("#fig-heatmap table.grid tbody", "#fig-forest-nps table.forest tbody"):
        shown = soup.select_one(where).get_text(" ")
        assert all(name in shown for name in names.values()), where
    assert "49" not in " ".join(td.get_text() for td in soup.select("td.segment"))
    assert isinstance(rep.results, pd.DataFrame)
