"""Every number a user sees comes from the same rows: daily series, compare, plots, mix shift.

The daily series of a metric (``stats/daily.py``) summed over a period must equal
``compare``'s ``before``/``after`` for every metric and segment, crossed ones included;
the plot tables (``period_values``) must show the same levels; mix shift's overall delta
must be the headline's ``after - before``.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import rollout_metrics as rm
from rollout_metrics import plots
from rollout_metrics.designs.mixshift import mix_shift
from rollout_metrics.metrics import MetricOptions, get_metric
from rollout_metrics.stats.daily import daily_series
from rollout_metrics.stats.trends import period_values

ROLLOUT = rm.Rollout("2025-09-01", announced="2025-08-11")
METRICS = ("nps", "csat", "csat_mean", "churn", "complaints", "handling_time",
           "first_response_time", "contact_rate")
BYS = ([], ["tier"], ["channel", "tier"], ["tier", "region"])


@pytest.fixture(scope="module")
def tables(sample: rm.Dataset) -> dict[str, pd.DataFrame]:
    return {" × ".join(by): rm.compare(sample, ROLLOUT, list(METRICS), by=by) for by in BYS}


@pytest.mark.parametrize("by", BYS, ids=lambda b: "×".join(b) or "overall")
@pytest.mark.parametrize("metric", METRICS)
def test_daily_series_totals_equal_compare(sample: rm.Dataset, tables: dict[str, pd.DataFrame],
                                           metric: str, by: list[str]) -> None:
    spec, opts = get_metric(metric), MetricOptions()
    table = tables[" × ".join(by)]
    rows = table[(table["metric"] == metric) & (table["comparison"] == "after_vs_before")]
    if "channel" in by and spec.table != "tickets":
        assert rows["segment"].eq("overall").all()
        return
    series = daily_series(sample, ROLLOUT, spec, by, opts)
    days = series.days_of(ROLLOUT)
    f = series.frame
    for pos, key in enumerate(series.keys):
        segment = "overall" if pos == 0 else " × ".join(map(str, key))
        row = rows[rows["segment"] == segment]
        assert len(row) == 1, (metric, segment)
        for period, column in (("before", "before"), ("after", "after")):
            lo, hi = days[period]
            part = f[(f["key"] == pos) & (f["day"] >= lo) & (f["day"] < hi)]
            value = spec.value(series.statistic(part, opts), opts)
            assert value == pytest.approx(float(row[column].iloc[0]), rel=1e-12, abs=1e-12), (
                metric, segment, period)


@pytest.mark.parametrize("metric", METRICS)
def test_plot_levels_equal_compare(sample: rm.Dataset, tables: dict[str, pd.DataFrame],
                                   metric: str) -> None:
    table = tables["channel × tier"] if get_metric(metric).table == "tickets" else \
        tables["tier × region"]
    rows = table[(table["metric"] == metric) & (table["comparison"] == "after_vs_before")]
    segs = rows[rows["segment"] != "overall"].iloc[[0, -1]]
    targets = [(None, rows[rows["segment"] == "overall"].iloc[0])]
    by = [c for c in ("channel", "tier", "region") if c in rows.columns
          and rows[c].notna().any()]
    targets += [({c: r[c] for c in by}, r) for _, r in segs.iterrows()]
    for segment, row in targets:
        levels = period_values(sample, ROLLOUT, metric, segment=segment).set_index("period")
        assert levels.loc["before", "value"] == pytest.approx(row["before"], rel=1e-12)
        assert levels.loc["after", "value"] == pytest.approx(row["after"], rel=1e-12)


@pytest.mark.parametrize("metric", ["nps", "csat", "churn", "complaints", "handling_time",
                                    "first_response_time", "contact_rate"])
def test_mix_shift_overall_equals_headline(sample: rm.Dataset, tables: dict[str, pd.DataFrame],
                                           metric: str) -> None:
    t = tables["tier"]
    mix = mix_shift(sample, ROLLOUT, metric, "tier").set_index("comparison")
    for comparison in ("after_vs_before", "transition_vs_before"):
        row = t[(t["metric"] == metric) & (t["segment"] == "overall")
                & (t["comparison"] == comparison)].iloc[0]
        got = mix.loc[comparison]
        assert got["overall_delta"] == pytest.approx(row["after"] - row["before"], rel=1e-12)
        assert got["within"] + got["mix"] == pytest.approx(got["overall_delta"], rel=1e-12)


def test_mix_shift_refuses_segments_that_split_events(sample: rm.Dataset) -> None:
    with pytest.raises(rm.DataValidationError, match="do not partition its population"):
        mix_shift(sample, ROLLOUT, "complaints", "channel")


def test_crossed_complaint_exposure_is_the_customer_part(sample: rm.Dataset,
                                                        tables: dict[str, pd.DataFrame]) -> None:
    # phone × VIP: phone complaints of VIP customers per VIP customer-day, so the channel
    # rates of one tier add up to the tier's rate.
    crossed = tables["channel × tier"]
    tier = tables["tier"]
    sel = (crossed["metric"] == "complaints") & (crossed["comparison"] == "after_vs_before")
    vip = crossed[sel & (crossed["tier"] == "VIP")]
    whole = tier[(tier["metric"] == "complaints") & (tier["segment"] == "VIP")
                 & (tier["comparison"] == "after_vs_before")].iloc[0]
    assert np.isclose(vip["after"].sum(), whole["after"], rtol=1e-12)
    assert np.isclose(vip["before"].sum(), whole["before"], rtol=1e-12)


@pytest.fixture(scope="module")
def small_rows(sample: rm.Dataset) -> list[pd.DataFrame]:
    """Tables with many small segments tested (min_n=1): each test at its own minimum."""
    return [rm.compare(sample, ROLLOUT, by=["tenure_band", "region"], min_n=1, handling_stat=s)
            for s in ("median", "p90")]


def _every_row(tables: dict[str, pd.DataFrame], small: list[pd.DataFrame]) -> pd.DataFrame:
    return pd.concat([*tables.values(), *small], ignore_index=True)


def test_delta_is_after_minus_before(tables: dict[str, pd.DataFrame],
                                     small_rows: list[pd.DataFrame]) -> None:
    # Every metric, complaints included: before/after are the observed values and the test's
    # interval bounds their difference.
    rows = _every_row(tables, small_rows)
    both = rows[np.isfinite(rows["before"]) & np.isfinite(rows["after"])]
    assert len(both) > 600  # segments empty in a period have no before or after
    np.testing.assert_allclose(both["delta"], both["after"] - both["before"],
                               rtol=1e-12, atol=1e-12)
    tested = both[both["ci_low"].notna()]
    assert ((tested["ci_low"] <= tested["delta"] + 1e-9)
            & (tested["delta"] <= tested["ci_high"] + 1e-9)).all()


def test_significant_rows_agree_with_their_interval(tables: dict[str, pd.DataFrame],
                                                    small_rows: list[pd.DataFrame]) -> None:
    # One inference per row: significant => the interval excludes 0 and has width; an
    # interval excluding 0 at alpha => the unadjusted p < alpha.
    rows = _every_row(tables, small_rows)
    excludes = (rows["ci_low"] > 0) | (rows["ci_high"] < 0)
    significant = rows["significant"].fillna(False).astype(bool)
    assert significant.any() and (excludes & ~significant).any()
    assert (excludes[significant] & (rows["ci_high"] > rows["ci_low"])[significant]).all()
    assert (rows.loc[excludes, "p_value"] < 0.05).all()
    assert (rows["p_value"].notna() == rows["ci_low"].notna()).all()


# -- the report: tiles, sentences and tables from the same rows, in both languages -------
@pytest.fixture(scope="module", params=["en", "ru"])
def rendered(request: pytest.FixtureRequest, sample: rm.Dataset) -> tuple[rm.Report, object]:
    from bs4 import BeautifulSoup

    rep = rm.build_report(sample, ROLLOUT, by=[["tier"], ["channel"]], lang=request.param,
                          n_resamples=300)
    return rep, BeautifulSoup(rep.html(), "html.parser")


def _number(text: str) -> str:
    """The number at the start of a tile's change: ``+1.1 hours`` -> ``1.1``."""
    return text.split(" ")[0].lstrip("+")


def test_tiles_agree_with_the_tables(rendered: tuple[rm.Report, object]) -> None:
    rep, soup = rendered
    tiles = soup.select("#verdict article.tile")  # type: ignore[attr-defined]
    assert [t["data-key"].split("|")[0] for t in tiles] == list(
        dict.fromkeys(rep.results["metric"]))
    trend = {tr["data-metric"]: tr["data-verdict"]
             for tr in soup.select("#trend tr[data-metric]")}  # type: ignore[attr-defined]
    for tile in tiles:
        key = tile["data-key"]
        metric, _, segment, comparison = key.split("|")
        assert (segment, comparison) == ("overall", "after_vs_before")
        row = soup.select_one(f'#headline tr[data-key="{key}"]')  # type: ignore[attr-defined]
        assert row is not None, key
        cells = {c: row.select_one(f"td.{c}").get_text() for c in ("delta", "ci", "before",
                                                                   "after")}
        assert _number(tile.select_one(".tile-delta .delta").get_text()) == cells["delta"]
        assert cells["ci"] in tile.select_one(".tile-ci").get_text()
        assert tile.select_one(".tile-from-to").get_text() == (
            f"{cells['before']} → {cells['after']}")
        # The verdict: the row's significance, the registry's direction, the trend check.
        r = rep.results.set_index(["metric", "by", "segment", "comparison"]).loc[
            tuple(key.split("|"))]
        if pd.isna(r["significant"]):
            expected = "no_data"
        elif trend.get(metric) in ("explained", "opposite") or not r["significant"]:
            expected = "none"
        else:
            good = (r["delta"] > 0) == (get_metric(metric).direction > 0)
            expected = "better" if good else "worse"
        assert tile["data-verdict"] == expected, (key, trend.get(metric))
        assert expected in tile["class"]
        # Segments that moved: significant rows of the tables, the same change.
        listed = tile.select(".tile-segments li")
        for li in listed:
            seg_row = soup.select_one(  # type: ignore[attr-defined]
                f'#segments tr[data-key="{li["data-key"]}"]')
            assert seg_row is not None and "sig" in seg_row["class"]
            assert _number(li.select_one(".delta").get_text()) == seg_row.select_one(
                "td.delta").get_text()
        sig = rep.results[(rep.results["metric"] == metric)
                          & (rep.results["comparison"] == "after_vs_before")
                          & (rep.results["segment"] != "overall")
                          & rep.results["significant"].fillna(False).astype(bool)]
        more = tile.select_one(".tile-more")
        hidden = int(re.search(r"\d+", more.get_text()).group()) if more else 0
        assert len(listed) + hidden == len(sig)


def test_summary_sentences_agree_with_the_tables(rendered: tuple[rm.Report, object]) -> None:
    _, soup = rendered
    items = soup.select("#summary li[data-key]")  # type: ignore[attr-defined]
    assert len(items) >= 5
    for li in items:
        row = soup.select_one(f'tr[data-key="{li["data-key"]}"]')  # type: ignore[attr-defined]
        text = li.get_text()
        for cell in ("before", "after", "ci"):
            assert row.select_one(f"td.{cell}").get_text() in text, (cell, text)
        assert row.select_one("td.delta").get_text().lstrip("\u2212") in text


def test_grid_agrees_with_the_tables_and_tiles(rendered: tuple[rm.Report, object]) -> None:
    """The metric × segment grid (its cells are also a table in the page) tells the story
    of the tables and the tiles: the same change, ``*`` where the row is significant, ``†``
    where it is significant but the trend check explains it (and the tile says no clear
    change)."""
    rep, soup = rendered
    cells = soup.select("#verdict table.grid td[data-cell]")  # type: ignore[attr-defined]
    after = rep.results[rep.results["comparison"] == "after_vs_before"]
    assert len(cells) == len(after)
    verdicts = {t["data-key"]: t["data-verdict"]
                for t in soup.select("#verdict article.tile")}  # type: ignore[attr-defined]
    marks = set()
    for cell in cells:
        key, mark = cell["data-cell"], cell["data-mark"]
        marks.add(mark)
        row = soup.select_one(f'#segments tr[data-key="{key}"]')  # type: ignore[attr-defined]
        assert row is not None, key
        shown = cell.get_text()
        cls = row["class"][0]
        assert {"sig": "*", "trend": "†", "na": "na", "ns": "", "other": "other"}[cls] == mark
        if mark != "na":
            delta = row.select_one("td.delta").get_text()
            assert shown.rstrip("*†").lstrip("+") == delta, (key, shown, delta)
        if key in verdicts:
            if mark == "†":
                assert verdicts[key] == "none"
            elif verdicts[key] in ("worse", "better"):
                assert mark == "*"
    assert {"*", "†", ""} <= marks  # the sample has each: CSAT's trend-explained drop


def test_grid_places_and_colours_each_row(rendered: tuple[rm.Report, object]) -> None:
    """Each grid cell sits under its metric's column and in its segment's row, and its
    colour is the table row's standardized delta (orange where worse for customers)."""
    rep, soup = rendered
    grid = soup.select_one("#verdict table.grid")  # type: ignore[attr-defined]
    view = {c["key"]: c for c in rep.context["grid"]}
    heads = [th.get_text() for th in grid.select("thead th")]
    after = rep.results[rep.results["comparison"] == "after_vs_before"]
    z = plots.standardized_delta(after).clip(-4, 4)
    fills = {f"{r.metric}|{r.by}|{r.segment}|{r.comparison}": plots.heatmap_colours(v)[0]
             for r, v in zip(after.itertuples(), z, strict=True)}
    verdicts = {t["data-key"]: t["data-verdict"]
                for t in soup.select("#verdict article.tile")}  # type: ignore[attr-defined]
    seen = 0
    for tr in grid.select("tbody tr"):
        label = tr.select_one("th").get_text()
        for head, td in zip(heads, tr.select("td"), strict=True):
            if not td.has_attr("data-cell"):
                continue
            seen += 1
            key = td["data-cell"]
            assert (view[key]["metric"], view[key]["segment"]) == (head, label), key
            assert f"background-color: {fills[key]}" in td["style"], (key, td["style"])
            if verdicts.get(key) == "worse":
                red, blue = int(fills[key][1:3], 16), int(fills[key][5:7], 16)
                assert red > blue, (key, fills[key])
    assert seen == len(after)


def test_forest_plots_draw_the_tables_rows(rendered: tuple[rm.Report, object]) -> None:
    """Each forest plot (drawn by the page) has the rows of its metric's segment table, in
    its order, with the same change, interval and mark; each change sits inside its
    interval, and the zero line is where the axis says 0."""
    rep, soup = rendered
    forests = soup.select("figure.forest table.forest")  # type: ignore[attr-defined]
    assert len(forests) == len(rep.context["sections"])
    for table, section in zip(forests, rep.context["sections"], strict=True):
        rows = table.select("tbody tr[data-key]")
        assert [r["data-key"] for r in rows] == [r["key"] for r in section["rows"]]
        for tr, row in zip(rows, section["rows"], strict=True):
            cls = tr["class"]
            assert ("other" if row["other"] else row["sig_class"]) in cls, (row["key"], cls)
            if row["other"]:
                continue
            assert tr.select_one("td.delta").get_text() == row["delta"]
            assert tr.select_one("td.ci").get_text() == row["ci"]
            point, bar = tr.select_one(".pt"), tr.select_one(".iv")
            if bar is None:
                assert row["ci"] == "–"
                continue
            left = float(re.search(r"left: ([\d.-]+)%", bar["style"]).group(1))
            width = float(re.search(r"width: ([\d.-]+)%", bar["style"]).group(1))
            x = float(re.search(r"left: ([\d.-]+)%", point["style"]).group(1))
            assert 0 <= left <= x <= left + width + 1e-6 <= 100 + 1e-6, row["key"]
            if "sig" in cls:  # worse or better for customers, as the tile and grid say
                assert ("worse" in cls) != ("better" in cls)
        zero = float(re.search(r"left: ([\d.-]+)%",
                               table.select_one(".zero")["style"]).group(1))
        ticks = {k.get_text(): float(re.search(r"left: ([\d.-]+)%", k["style"]).group(1))
                 for k in table.select(".tick")}
        assert len(ticks) >= 2
        if "0" in ticks:
            assert ticks["0"] == zero


def test_times_and_rates_show_their_units(rendered: tuple[rm.Report, object]) -> None:
    rep, soup = rendered
    ru = rep.context["lang"] == "ru"
    tiles = {t["data-key"].split("|")[0]: t
             for t in soup.select("#verdict article.tile")}  # type: ignore[attr-defined]
    # First response is ~54 minutes: shown in minutes, never as "0.0 hours".
    first = tiles["first_response_time"]
    assert ("(минуты)" if ru else "(minutes)") in first.select_one("h3").get_text()
    delta = first.select_one(".tile-delta .delta").get_text()
    assert re.search("минут" if ru else "minutes?$", delta), delta
    assert re.search(r"[1-9]", _number(delta)), delta
    row = rep.results[(rep.results["metric"] == "first_response_time")
                      & (rep.results["segment"] == "overall")
                      & (rep.results["comparison"] == "after_vs_before")].iloc[0]
    from rollout_metrics.report.i18n import Text

    cell = soup.select_one(  # type: ignore[attr-defined]
        f'#headline tr[data-key="{first["data-key"]}"] td.before')
    assert cell.get_text() == Text(rep.context["lang"]).num(row["before"] * 60)
    hours = tiles["handling_time"].select_one(".tile-delta .delta").get_text()
    assert ("час" if ru else "hours") in hours
    for metric in ("contact_rate", "complaints"):
        text = tiles[metric].select_one(".tile-delta .delta").get_text()
        assert text.endswith("на 1000 активных клиентов за 30 дней" if ru
                             else "per 1,000 active customers per 30 days"), text
