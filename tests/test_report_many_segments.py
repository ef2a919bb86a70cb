"""A segment column with 250 values (a city): the report shows the largest segments and
one stated line for the rest, in the tables, the grid and the plots, and still counts every
segment in the family of comparisons."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from bs4 import BeautifulSoup

import rollout_metrics as rm
from rollout_metrics import plots
from rollout_metrics.report.i18n import Text
from rollout_metrics.report.many import OTHER, Grouped

ROLLOUT = rm.Rollout("2025-09-01", announced="2025-08-11")
CITIES = [f"City {i:03d}" for i in range(250)]


@pytest.fixture(scope="module")
def frames(sample_frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    out = {k: v.copy() for k, v in sample_frames.items()}
    rng = np.random.default_rng(7)
    weights = 1 / np.arange(1, 251) ** 0.8  # a few large cities, many small ones
    customers = out["customers"]
    customers["city"] = rng.choice(CITIES, size=len(customers), p=weights / weights.sum())
    # every city present at least once
    customers.loc[customers.index[:250], "city"] = CITIES
    return out


@pytest.fixture(scope="module")
def data(frames: dict[str, pd.DataFrame]) -> rm.Dataset:
    return rm.load_dataset(frames)


@pytest.fixture(scope="module")
def report(data: rm.Dataset) -> rm.Report:
    return rm.build_report(data, ROLLOUT, ["nps", "handling_time"], by=[["tier"], ["city"]],
                           n_resamples=100)


@pytest.fixture(scope="module")
def soup(report: rm.Report) -> BeautifulSoup:
    return BeautifulSoup(report.html(), "html.parser")


def test_every_segment_is_compared_and_counted(report: rm.Report,
                                               soup: BeautifulSoup) -> None:
    city = report.results[report.results["by"] == "city"]
    assert city["segment"].nunique() == 250
    n_tests = int(report.results["p_adjusted"].notna().sum())
    assert n_tests > 2 * 12  # the grouped segments' tested rows are in the family
    assert f"correcting for {n_tests:,} comparisons" in soup.select_one("#summary").get_text()
    methods = soup.select_one("#methods").get_text(" ")
    assert ("city: the 12 largest of 250 segments are shown one by one; the other 238 "
            "are one line") in methods
    assert "Every segment was compared and counts in the family" in methods


def test_tables_show_the_largest_and_one_stated_line(data: rm.Dataset,
                                                     soup: BeautifulSoup) -> None:
    assert data.customers is not None
    sizes = data.customers.collect().to_pandas()["city"].value_counts()  # valid rows
    order = sorted(sizes.index, key=lambda c: (-sizes[c], c))
    for metric in ("nps", "handling_time"):
        table = soup.select_one(f"#segments-{metric}").find_next("table")
        rows = table.select("tbody tr")
        cities = [r.select_one("td.segment").get_text()
                  for r in rows if r.select_one(".by") and
                  r.select_one(".by").get_text() == "city:" and "other" not in r["class"]]
        assert sorted(c.removeprefix("city: ") for c in cities) == sorted(order[:12])
        other = [r for r in rows if "other" in r["class"]]
        assert len(other) == 1 and other[0]["data-key"] == f"{metric}|city|{OTHER}|" \
            "after_vs_before"
        text = other[0].get_text(" ")
        rest = int(sizes[order[12:]].sum())
        assert f"238 other segments, {rest:,} customers" in text
        assert re.search(r"significant changes among them: \d+", text)
        assert len(rows) == 1 + 3 + 12 + 1  # overall, tiers, 12 cities, the line


def test_grid_and_plots_show_the_same_line(report: rm.Report, soup: BeautifulSoup) -> None:
    cells = soup.select("#verdict table.grid td[data-cell]")
    assert len(cells) == 2 * (1 + 3 + 12 + 1)
    other = [c for c in cells if c["data-mark"] == "other"]
    assert len(other) == 2 and all(c.get_text().endswith("sig.") for c in other)
    view = report.context["grid"]
    assert sum(c["mark"] == "other" for c in view) == 2
    # The forest plot draws the same lines: 12 cities and the stated line after the tiers.
    from rollout_metrics.report.many import grouped_rows

    t = Text("en")
    cities = [c.removeprefix("city: ") for c in (x["segment"] for x in view)
              if c.startswith("city: City")][:12]
    rest = tuple(c for c in CITIES if c not in cities)
    rows = grouped_rows(report.results, {"city": Grouped("city", tuple(cities), rest, 99,
                                                         "customers")}, t)
    fig = plots.plot_forest(rows, "nps", text=t)
    labels = [x.get_text() for x in fig.axes[0].get_yticklabels()]
    assert len(labels) == 17 and labels[-1] == "city: 238 other segments, 99 customers"


@pytest.mark.parametrize(("n", "expected"), [
    (1, "ещё 1 сегмент, 1 клиент"), (2, "ещё 2 сегмента, 2 клиента"),
    (5, "ещё 5 сегментов, 5 клиентов"), (21, "ещё 21 сегмент, 21 клиент"),
])
def test_russian_line_plurals(n: int, expected: str) -> None:
    g = Grouped("city", ("a",), tuple(str(i) for i in range(n)), n, "customers")
    assert g.line(Text("ru")) == expected
    assert g.line(Text("en")).startswith(f"{n} other segment")


def test_few_segments_are_not_grouped(report: rm.Report, soup: BeautifulSoup) -> None:
    assert not soup.select('#segments tr.other[data-key*="|tier|"]')


@pytest.mark.parametrize("top", [0, -1, 2.5, True])
def test_bad_top_segments(sample: rm.Dataset, top: object) -> None:
    with pytest.raises(rm.DataValidationError, match="top_segments must be"):
        rm.build_report(sample, ROLLOUT, ["nps"], top_segments=top)  # type: ignore[arg-type]


def test_the_report_forest_plot_has_the_stated_line(soup: BeautifulSoup) -> None:
    # The report's forest plot (drawn by the page) has the table's lines, the stated line
    # last, without a mark or an interval of its own.
    rows = soup.select("#fig-forest-nps table.forest tbody tr[data-key]")
    assert len(rows) == 1 + 3 + 12 + 1
    last = rows[-1]
    assert "other" in last["class"] and "238 other segments" in last.select_one("th").get_text()
    assert last.select_one(".pt") is None and last.select_one(".iv") is None
    assert all(r.select_one(".pt") is not None for r in rows[:-1])
