"""The report as a PDF printed by headless Chromium: a real PDF of several pages, Russian
text intact, written through a temporary file, and a clear error without Chromium."""

from __future__ import annotations

import re
import shutil
import zlib
from pathlib import Path

import pytest

import rollout_metrics as rm
from rollout_metrics.cli import main
from rollout_metrics.report.pdf import ENV, ChromiumNotFoundError, find_chromium

ROLLOUT = rm.Rollout("2025-09-01", announced="2025-08-11")
needs_chromium = pytest.mark.skipif(
    shutil.which("chromium") is None,
    reason="chromium is not installed (the CI installs it; apt-get install chromium)")


def _pages(pdf: Path) -> int:
    """Page objects of a PDF (``/Type /Page``, not ``/Pages``), without a PDF library."""
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf.read_bytes()))


@pytest.mark.slow
@needs_chromium
def test_sample_pdf(sample: rm.Dataset, tmp_path: Path) -> None:
    rep = rm.build_report(sample, ROLLOUT, by=[["tier"], ["channel"]], n_resamples=100)
    out = tmp_path / "report.pdf"
    out.write_bytes(b"last week's pdf")
    assert rep.pdf(out) == out
    data = out.read_bytes()
    assert data.startswith(b"%PDF-")
    assert _pages(out) > 1
    assert [p.name for p in tmp_path.iterdir()] == ["report.pdf"]  # no temporary file left


def _unicode_of_glyphs(pdf: Path) -> set[str]:
    """The characters the PDF's fonts map glyphs to (their ToUnicode maps)."""
    chars: set[str] = set()
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf.read_bytes(), re.S):
        try:
            text = zlib.decompress(m.group(1))
        except zlib.error:
            continue
        if b"beginbfchar" in text or b"beginbfrange" in text:
            chars |= {chr(int(h, 16)) for h in re.findall(rb"<([0-9A-Fa-f]{4})>", text)}
    return chars


@pytest.mark.slow
@needs_chromium
def test_russian_pdf_text(sample: rm.Dataset, tmp_path: Path) -> None:
    rep = rm.build_report(sample, ROLLOUT, ["nps"], by="tier", lang="ru", n_resamples=100)
    out = rep.pdf(tmp_path / "ru.pdf")
    assert out.read_bytes().startswith(b"%PDF-")
    # The text is Cyrillic text (selectable, searchable), not boxes or outlines.
    cyrillic = {c for c in _unicode_of_glyphs(out) if "\u0400" <= c <= "\u04ff"}
    assert len(cyrillic) >= 10, cyrillic


def test_chromium_named_in_env_must_exist(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, "/nonexistent/chrome")
    with pytest.raises(ChromiumNotFoundError, match="is not an executable"):
        find_chromium()


def test_no_chromium_is_a_clear_error(monkeypatch: pytest.MonkeyPatch,
                                      tmp_path: Path) -> None:
    monkeypatch.delenv(ENV, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ChromiumNotFoundError, match="chromium, chromium-browser, "
                                                    "google-chrome"):
        find_chromium()
    assert issubclass(ChromiumNotFoundError, rm.RolloutMetricsError)


def test_cli_pdf_without_chromium_exits_2_before_any_work(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv(ENV, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    out = tmp_path / "r.html"
    assert main(["report", "--sample", "--pdf", "--quiet", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "headless Chromium" in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_chromium_found_through_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = tmp_path / "my-chrome"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    monkeypatch.setenv(ENV, str(fake))
    assert find_chromium() == str(fake)


def test_chromium_that_prints_nothing_is_an_error(monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    from rollout_metrics.report.pdf import PdfError, write_pdf

    fake = tmp_path / "broken-chrome"
    fake.write_text("#!/bin/sh\necho 'crashed' >&2\nexit 5\n")
    fake.chmod(0o755)
    out = tmp_path / "x.pdf"
    out.write_bytes(b"old")
    with pytest.raises(PdfError, match=r"did not print a PDF \(exit 5\): crashed"):
        write_pdf("<p>x</p>", out, chromium=str(fake))
    assert out.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken-chrome", "x.pdf"]


@pytest.mark.slow
@needs_chromium
def test_cli_writes_pdf_beside_the_html(tmp_path: Path) -> None:
    out = tmp_path / "ru.html"
    assert main(["report", "--sample", "--lang", "ru", "--pdf", "--quiet", "--out", str(out),
                 "--n-resamples", "100"]) == 0
    assert out.exists() and (tmp_path / "ru.pdf").read_bytes().startswith(b"%PDF-")
    assert _pages(tmp_path / "ru.pdf") > 1


def _print_css(html: str) -> str:
    style = re.search(r"<style>(.*?)</style>", html, re.S)
    assert style is not None
    block = re.search(r"@media print\s*\{(.*)\}", style.group(1), re.S)
    assert block is not None
    return re.sub(r"\s+", " ", re.sub(r"/\*.*?\*/", "", block.group(1), flags=re.S))


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_print_keeps_headings_with_what_follows(sample: rm.Dataset, lang: str) -> None:
    rep = rm.build_report(sample, ROLLOUT, ["nps"], by="tier", lang=lang, n_resamples=100)
    css = _print_css(rep.html())
    rules = {k.strip(): v for k, v in re.findall(r"([^{}]+)\{([^{}]*)\}", css)}
    heading = rules[".rm-report h2, .rm-report h3"]
    assert "break-after: avoid" in heading and "page-break-after: avoid" in heading
    follower = rules[".rm-report h2 + *, .rm-report h3 + *"]
    assert "break-before: avoid" in follower and "page-break-before: avoid" in follower
    kept = next(v for k, v in rules.items() if ".rm-report figure" in k
                and ".rm-report table" in k)
    assert "break-inside: avoid" in kept
