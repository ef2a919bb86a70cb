"""The HTML report: sections, self-containment, escaping, numbers, determinism, rendering."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from bs4 import BeautifulSoup

import rollout_metrics as rm
from rollout_metrics.report.summary import fmt

ROLLOUT = rm.Rollout("2025-09-01", announced="2025-08-11")
SECTIONS = ["summary", "headline", "segments", "plots", "transition", "trend", "mix-shift",
            "data-quality", "methods", "footer"]
MALICIOUS = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def report(sample: rm.Dataset) -> rm.Report:
    return rm.build_report(sample, ROLLOUT, by=[["tier"], ["channel"]], title="Sample",
                           n_resamples=500)


@pytest.fixture(scope="module")
def html_path(report: rm.Report, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return report.to_html(tmp_path_factory.mktemp("report") / "sample.html")


@pytest.fixture(scope="module")
def soup(html_path: Path) -> BeautifulSoup:
    return BeautifulSoup(html_path.read_text(encoding="utf-8"), "html.parser")


def test_every_section_present(soup: BeautifulSoup) -> None:
    for section in SECTIONS:
        assert soup.find(id=section) is not None, section


def test_self_contained(html_path: Path, soup: BeautifulSoup) -> None:
    text = html_path.read_text(encoding="utf-8")
    assert "http://" not in text and "https://" not in text
    assert not soup.find_all("link") and not soup.find_all("script")
    images = soup.find_all("img")
    assert len(images) >= 3  # over time, ECDF, Kaplan–Meier (the forest plots are HTML)
    assert all(str(img["src"]).startswith("data:image/png;base64,") for img in images)


def test_summary_numbers_match_the_tables(soup: BeautifulSoup) -> None:
    items = soup.select("#summary li[data-key]")
    assert len(items) >= 5
    for li in items:
        key = li["data-key"]
        row = soup.select_one(f'tr[data-key="{key}"]')
        assert row is not None, key
        text = li.get_text()
        delta = row.select_one("td.delta").get_text().lstrip("\u2212")
        low, high = row.select_one("td.ci").get_text().split(" to ")
        assert f" {delta} " in text or f" {delta}" in text, (key, text)
        assert f"CI {low} to {high}" in text, (key, text)
        before, after = row.select_one("td.before").get_text(), row.select_one("td.after")
        assert f"from {before} to {after.get_text()}" in text


def test_headline_matches_results(report: rm.Report, soup: BeautifulSoup) -> None:
    overall = report.results[(report.results.segment == "overall")
                             & (report.results.comparison == "after_vs_before")]
    cells = [td.get_text() for td in soup.select("#headline td.delta")]
    # Times under an hour are shown in minutes (the sample's first response: ~54 min).
    assert report.context["minutes"] == ["first_response_time"]
    factor = overall["metric"].map(lambda m: 60 if m in report.context["minutes"] else 1)
    assert cells == [fmt(x) for x in overall["delta"] * factor]


def test_vip_nps_drop_is_reported(soup: BeautifulSoup) -> None:
    # truth.json: NPS of VIP customers falls 15 points after the change.
    sentence = soup.select_one('#summary li[data-key="nps|tier|VIP|after_vs_before"]')
    assert sentence is not None
    assert sentence.get_text().startswith("NPS fell")
    assert "significant after correcting for" in sentence.get_text()


def test_one_family_for_the_whole_report(report: rm.Report, soup: BeautifulSoup) -> None:
    n_tests = int(report.results["p_adjusted"].notna().sum())
    assert f"correcting for {n_tests} comparisons" in soup.select_one("#summary").get_text()
    # Channel applies to ticket metrics only; one overall row per metric and comparison.
    channel = report.results[report.results["by"] == "channel"]
    assert set(channel["metric"]) == {"complaints", "handling_time", "first_response_time",
                                      "contact_rate"}
    assert (report.results["segment"] == "overall").sum() == 22


def test_data_quality_counts_every_excluded_row(sample: rm.Dataset,
                                                soup: BeautifulSoup) -> None:
    rows = soup.select("#data-quality table.quality tbody tr")
    assert len(rows) == len(sample.quality)
    counted = sum(int(r.find_all("td")[3].get_text()) for r in rows)
    assert counted == int(sample.rows["rows_excluded"].sum())


def test_footer(sample: rm.Dataset, soup: BeautifulSoup) -> None:
    footer = soup.select_one("#footer").get_text()
    assert rm.__version__ in footer
    assert sample.fingerprint() in footer
    assert ROLLOUT.describe() in footer
    assert soup.select_one("#footer .generated-at") is not None


def test_notebook_fragment(report: rm.Report) -> None:
    fragment = report._repr_html_()
    assert "<html" not in fragment and 'class="rm-report"' in fragment


def test_malicious_segment_name_is_escaped(sample_frames: dict[str, pd.DataFrame],
                                           tmp_path: Path) -> None:
    frames = {k: v.copy() for k, v in sample_frames.items()}
    frames["customers"]["tier"] = frames["customers"]["tier"].replace("VIP", MALICIOUS)
    data = rm.load_dataset(frames)
    rep = rm.build_report(data, ROLLOUT, by="tier", metrics=["nps"],
                          title=f"Title {MALICIOUS}", guardrails=[f"nps[{MALICIOUS}].delta < 0"])
    html = rep.to_html(tmp_path / "x.html").read_text(encoding="utf-8")
    assert MALICIOUS not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find_all("script") == []
    assert any(MALICIOUS in td.get_text() for td in soup.select("#segments td.segment"))
    assert any(MALICIOUS in td.get_text() for td in soup.select("#guardrails td.segment"))


def _without_time(html: str) -> str:
    return re.sub(r'<p class="generated-at">.*?</p>', "", html)


def test_same_inputs_same_bytes(sample: rm.Dataset) -> None:
    def build() -> str:
        return rm.build_report(sample, ROLLOUT, by="tier", metrics=["nps", "handling_time"],
                               n_resamples=200, seed=3).html()

    first, second = build(), build()
    assert first != _without_time(first)  # the time line exists and is the only one removed
    assert _without_time(first) == _without_time(second)


def test_bad_correction(sample: rm.Dataset) -> None:
    with pytest.raises(rm.DataValidationError, match="correction must be one of"):
        rm.build_report(sample, ROLLOUT, metrics=["nps"], correction="bonferroni")


def test_segment_that_applies_to_no_metric(sample: rm.Dataset) -> None:
    with pytest.raises(rm.DataValidationError, match="segment column 'channel' does not exist in the surveys"):
        rm.build_report(sample, ROLLOUT, by="channel", metrics=["nps"])


@pytest.mark.skipif(shutil.which("chromium") is None,
                    reason="chromium is not installed (the CI installs it)")
def test_headless_screenshot_is_not_blank(html_path: Path, tmp_path: Path) -> None:
    from PIL import Image

    shot = tmp_path / "x.png"
    subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--no-first-run", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}",
         "--window-size=1280,2000", html_path.resolve().as_uri()],
        check=True, capture_output=True, timeout=120,
    )
    with Image.open(shot) as img:
        colours = img.convert("RGB").getcolors(maxcolors=1 << 20)
        assert img.size == (1280, 2000)
    assert colours is not None and len(colours) > 50


def test_stylesheet_is_not_html_escaped(report: rm.Report) -> None:
    import re

    css = "".join(re.findall(r"<style[^>]*>(.*?)</style>", report.html(), flags=re.S))
    assert css and not any(e in css for e in ("&#34;", "&quot;", "&gt;", "&#39;"))
    assert '"Segoe UI"' in css or "Segoe UI" in css


# -- guardrails ------------------------------------------------------------------------
def test_guardrails_section_near_the_top(sample: rm.Dataset) -> None:
    rep = rm.build_report(sample, ROLLOUT, by="tier", metrics=["nps"], n_resamples=200,
                          guardrails=["nps[vip].delta < -5", "nps.delta > 0"])
    html = rep.html()
    soup = BeautifulSoup(html, "html.parser")
    ids = [s["id"] for s in soup.select("section")]
    assert ids[:3] == ["verdict", "guardrails", "summary"]
    rows = soup.select("#guardrails tbody tr")
    assert [r.select_one("td.outcome").get_text() for r in rows] == ["breached", "not met"]
    assert [r["class"] for r in rows] == [["sig"], ["ns"]]
    # The row behind the guardrail is the row of the tables.
    assert soup.select_one(f'#segments tr[data-key="{rows[0]["data-key"]}"]') is not None
    assert "nps[vip].delta &lt; -5" in html  # autoescaped
    assert "1 breached" in soup.select_one("#guardrails p").get_text()
    assert rep.breaches["segment"].tolist() == ["VIP"]
    assert rep.guardrails["outcome"].tolist() == ["breached", "not met"]


def test_no_guardrails_no_section(report: rm.Report, soup: BeautifulSoup) -> None:
    assert soup.find(id="guardrails") is None
    assert report.guardrails.empty and report.breaches.empty


def test_guardrail_naming_a_missing_segment_raises(sample: rm.Dataset) -> None:
    with pytest.raises(rm.ConfigError,
                       match="unknown segment 'Gold' for nps; segments of nps: overall, VIP"):
        rm.build_report(sample, ROLLOUT, by="tier", metrics=["nps"], n_resamples=200,
                        guardrails=["nps[Gold].delta < -5"])


def test_guardrail_naming_a_metric_not_in_the_run_raises_before_work(sample: rm.Dataset,
                                                                     ) -> None:
    seen: list[str] = []
    with pytest.raises(rm.ConfigError, match="metric 'csat' is not in this run"):
        rm.build_report(sample, ROLLOUT, metrics=["nps"], guardrails=["csat.delta < 0"],
                        progress=seen.append)
    assert seen == []


def test_report_made_without_guardrails_still_renders(report: rm.Report) -> None:
    context = {k: v for k, v in report.context.items() if k != "guardrails"}
    old = rm.Report(report.title, report.results, context)
    assert 'id="summary"' in old.html() and 'id="guardrails"' not in old.html()
    assert old.guardrails.empty


# -- writing ---------------------------------------------------------------------------
def test_to_html_replaces_the_file_and_keeps_its_mode(report: rm.Report,
                                                      tmp_path: Path) -> None:
    out = tmp_path / "weekly.html"
    out.write_text("last week's report", encoding="utf-8")
    out.chmod(0o640)
    assert report.to_html(out) == out
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert out.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["weekly.html"]


def test_to_html_failing_midway_keeps_the_old_file(report: rm.Report, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "weekly.html"
    out.write_text("last week's report", encoding="utf-8")
    real_write = os.write
    written: list[int] = []

    def disk_full_after_one_chunk(fd: int, data: bytes) -> int:
        if written:
            raise OSError(28, "No space left on device")
        written.append(real_write(fd, data))
        return written[-1]

    monkeypatch.setattr("rollout_metrics.report.builder.CHUNK", 4096)
    monkeypatch.setattr(os, "write", disk_full_after_one_chunk)
    with pytest.raises(OSError, match="No space left"):
        report.to_html(out)
    monkeypatch.undo()
    assert written == [4096]  # a part of the new report was written, then the disk filled
    assert out.read_text(encoding="utf-8") == "last week's report"
    assert [p.name for p in tmp_path.iterdir()] == ["weekly.html"]


def test_to_html_that_cannot_be_encoded_keeps_the_old_file(
        report: rm.Report, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "weekly.html"
    out.write_text("last week's report", encoding="utf-8")
    monkeypatch.setattr(rm.Report, "html", lambda self, **kw: "<p>" * 10_000 + "\ud800")
    with pytest.raises(UnicodeEncodeError):
        report.to_html(out)
    assert out.read_text(encoding="utf-8") == "last week's report"
    assert [p.name for p in tmp_path.iterdir()] == ["weekly.html"]


def test_forest_plot_lists_untested_rows_with_their_status(sample: rm.Dataset) -> None:
    # Too few observations for a segment's test: its forest row shows the status in the
    # axis, no mark and no interval, and the axis is set by the tested rows alone.
    rep = rm.build_report(sample, ROLLOUT, ["nps"], by="tier", min_n=1200, n_resamples=100)
    soup = BeautifulSoup(rep.html(), "html.parser")
    rows = soup.select("#fig-forest-nps table.forest tbody tr[data-key]")
    untested = [r for r in rows if "na" in r["class"]]
    assert untested and len(untested) < len(rows)
    for tr in untested:
        table_row = soup.select_one(f'#segments tr[data-key="{tr["data-key"]}"]')
        assert tr.select_one(".status").get_text() == table_row.select_one("td.status").get_text()
        assert tr.select_one(".pt") is None and tr.select_one(".iv") is None
    for tr in rows:
        if "na" not in tr["class"]:
            assert tr.select_one(".pt") is not None and tr.select_one(".iv") is not None
