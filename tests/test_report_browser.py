"""The report as a browser draws it: headless Chromium computes the styles.

A copy of the sample report gets a small script (the report itself has none) that reads
the computed styles and the layout and writes them as JSON into the page; Chromium's
``--dump-dom`` returns the page after the script ran.  Checked in English and Russian at
1400 and 800 px: the sans-serif font stack, the significance marker, the tile colours by
verdict (worse: vermillion, better: blue, never colour alone: an arrow and a word), the
metric x segment grid (readable text, frames for significance), the forest plots (marks by
significance and direction, tick labels apart and on their axis), and no
horizontal overflow (``scrollWidth <= innerWidth``, no element past the right edge outside
a scrolling table).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import rollout_metrics as rm
from rollout_metrics.metrics import DEFAULT_METRICS

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("chromium") is None,
                       reason="chromium is not installed (the CI installs it; "
                              "apt-get install chromium)"),
]

ROLLOUT = rm.Rollout("2025-09-01", announced="2025-08-11")
PROBE = """
(function () {
  var cs = function (el, p, pseudo) {
    return el ? getComputedStyle(el, pseudo || null).getPropertyValue(p) : null; };
  var out = {
    innerWidth: window.innerWidth,
    scrollWidth: document.documentElement.scrollWidth,
    font: cs(document.querySelector('.rm-report'), 'font-family'),
    marker: cs(document.querySelector('tr.sig td.significant'), 'content', '::before'),
    markerColor: cs(document.querySelector('tr.sig td.significant'), 'color', '::before'),
    tiles: Array.prototype.map.call(document.querySelectorAll('.tile'), function (t) {
      var v = t.querySelector('.tile-verdict');
      return {verdict: t.dataset.verdict, border: cs(t, 'border-left-color'),
              background: cs(t, 'background-color'), color: cs(v, 'color'),
              text: v.textContent.trim(), overflow: t.scrollWidth > t.clientWidth};
    }),
    grid: (function (g) {
      if (!g) { return null; }
      var sig = g.querySelector('td.sig'), trend = g.querySelector('td.trend'),
          box = g.closest('.scroll');
      return {font: parseFloat(cs(sig, 'font-size')), sigBorder: cs(sig, 'border-top-style'),
              sigWidth: cs(sig, 'border-top-width'), fill: cs(sig, 'background-color'),
              trendBorder: trend ? cs(trend, 'border-top-style') : null,
              rowHead: cs(g.querySelector('tbody th'), 'position'),
              boxRight: box ? box.getBoundingClientRect().right : null,
              scrolls: box ? box.scrollWidth > box.clientWidth : null};
    })(document.querySelector('#verdict table.grid')),
    forest: (function (f) {
      if (!f) { return null; }
      var worse = f.querySelector('tr.worse .pt'), ns = f.querySelector('tr.ns .pt');
      return {worse: cs(worse, 'background-color'),
              worseRadius: cs(worse, 'border-top-left-radius'),
              nsRadius: cs(ns, 'border-top-left-radius'), nsFill: cs(ns, 'background-color'),
              zero: (function (z) {  // one line: the rows' segments end to end, one x
                var a = z[0].getBoundingClientRect(), b = z[z.length - 1].getBoundingClientRect();
                var xs = Array.prototype.map.call(z, function (e) {
                  return Math.round(e.getBoundingClientRect().left); });
                return new Set(xs).size === 1 ? b.bottom - a.top : -1; })(
                f.querySelectorAll('.zero')),
              rows: f.querySelectorAll('tbody tr[data-key]').length};
    })(document.querySelector('#fig-forest-complaints table.forest')),
    // Per forest plot: tick labels that overlap or leave the axis.
    ticks: Array.prototype.filter.call(document.querySelectorAll('table.forest'),
      function (f) {
        var track = f.querySelector('tr.axis td.track').getBoundingClientRect();
        var boxes = Array.prototype.map.call(f.querySelectorAll('.tick'), function (k) {
          return k.getBoundingClientRect(); }).sort(function (a, b) { return a.left - b.left; });
        return boxes.some(function (b, i) {
          return b.left < track.left - 0.5 || b.right > track.right + 0.5
                 || (i > 0 && b.left < boxes[i - 1].right + 2); });
      }).map(function (f) { return f.closest('figure').id; }),
    wide: Array.prototype.filter.call(document.querySelectorAll('.rm-report *'),
      function (e) { return e.getBoundingClientRect().right > window.innerWidth + 0.5
                            && !e.closest('.scroll'); })
      .map(function (e) { return e.tagName + '.' + e.className; }).slice(0, 10)
  };
  var pre = document.createElement('pre');
  pre.id = 'rm-probe';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
"""
VERMILLION, BLUE = "rgb(213, 94, 0)", "rgb(0, 114, 178)"


@pytest.fixture(scope="module", params=["en", "ru"])
def page(request: pytest.FixtureRequest, sample: rm.Dataset,
         tmp_path_factory: pytest.TempPathFactory) -> Path:
    rep = rm.build_report(sample, ROLLOUT, by=[["tier"], ["channel"]], lang=request.param,
                          n_resamples=200)
    # The sample has no metric that improved: one tile is shown as "better" so that its
    # colour is checked too (the verdicts themselves: tests/test_consistency.py).
    tiles = [dict(t) for t in rep.context["tiles"]]
    tiles[-1].update(verdict="better", word="better", arrow="▼")
    rep = rm.Report(rep.title, rep.results, {**rep.context, "tiles": tiles}, rep.guardrails)
    html = rep.html().replace("</body>", f"<script>{PROBE}</script></body>")
    path = tmp_path_factory.mktemp("browser") / f"report-{request.param}.html"
    path.write_text(html, encoding="utf-8")
    return path


def _probe(path: Path, width: int, tmp_path: Path) -> dict[str, object]:
    done = subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--no-first-run", "--disable-component-update",
         "--disable-sync", "--hide-scrollbars", f"--user-data-dir={tmp_path / 'profile'}",
         f"--window-size={width},1000", "--dump-dom", path.resolve().as_uri()],
        check=True, capture_output=True, timeout=120, text=True,
    )
    found = re.search(r'<pre id="rm-probe">(.*?)</pre>', done.stdout, flags=re.S)
    assert found, "the probe did not run"
    result: dict[str, object] = json.loads(found.group(1).replace("&quot;", '"')
                                           .replace("&amp;", "&").replace("&lt;", "<")
                                           .replace("&gt;", ">"))
    return result


@pytest.mark.parametrize("width", [1400, 800])
def test_computed_styles(page: Path, width: int, tmp_path: Path) -> None:
    got = _probe(page, width, tmp_path)
    assert got["innerWidth"] == width
    # No horizontal scrolling of the page: wide tables scroll inside their own box.
    assert got["scrollWidth"] <= width, got["wide"]
    assert got["wide"] == []
    assert str(got["font"]).startswith("system-ui") and "sans-serif" in str(got["font"])
    # The metric x segment grid: text at a readable size, significance as a solid frame
    # (a trend-explained change as a dashed one), coloured cells; a narrow screen scrolls
    # it inside its own box, with the segment names kept in view.
    grid = got["grid"]
    assert isinstance(grid, dict), grid
    assert grid["font"] >= 12 and grid["sigBorder"] == "solid" and grid["sigWidth"] == "2px"
    assert grid["trendBorder"] == "dashed" and grid["fill"] not in ("rgba(0, 0, 0, 0)", "")
    assert grid["rowHead"] == "sticky" and grid["boxRight"] <= width + 0.5
    # The forest plots: a significant worse change a vermillion square, a change that is
    # not significant an open circle, zero a line through all rows; ticks apart, on the axis.
    forest = got["forest"]
    assert isinstance(forest, dict) and forest["worse"] == VERMILLION, forest
    assert forest["worseRadius"] == "0px" and forest["nsRadius"] == "50%", forest
    assert forest["nsFill"] == "rgb(255, 255, 255)" and forest["zero"] >= 20 * forest["rows"]
    assert got["ticks"] == []
    assert got["marker"] == '"■  "' or "■" in str(got["marker"])
    assert got["markerColor"] == VERMILLION
    tiles = got["tiles"]
    # one tile per default metric
    assert isinstance(tiles, list) and len(tiles) == len(DEFAULT_METRICS)
    for tile in tiles:
        assert not tile["overflow"], tile
        assert len(tile["text"]) > 2  # an arrow and a word, never colour alone
        if tile["verdict"] == "worse":
            assert tile["border"] == VERMILLION and tile["color"] != "rgb(68, 68, 68)"
        elif tile["verdict"] == "better":
            assert tile["border"] == BLUE
        else:
            assert tile["border"] not in (VERMILLION, BLUE)
    assert {t["verdict"] for t in tiles} >= {"worse", "better", "none"}
    worse = next(t for t in tiles if t["verdict"] == "worse")
    better = next(t for t in tiles if t["verdict"] == "better")
    assert worse["background"] != better["background"] and worse["color"] != better["color"]


def test_a_small_grid_fits_a_narrow_screen(sample: rm.Dataset, tmp_path: Path) -> None:
    # Two metrics make a grid narrower than the screen: at 800 px it needs no scrolling.
    rep = rm.build_report(sample, ROLLOUT, ["nps", "csat"], by="tier", n_resamples=200)
    path = tmp_path / "small.html"
    path.write_text(rep.html().replace("</body>", f"<script>{PROBE}</script></body>"),
                    encoding="utf-8")
    got = _probe(path, 800, tmp_path)
    grid = got["grid"]
    assert isinstance(grid, dict) and grid["scrolls"] is False, grid
    assert got["wide"] == []
