"""The report's history view in monitoring mode (report/history.py, history.html.j2)."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

import jinja2
import pandas as pd
import pytest
from bs4 import BeautifulSoup

from rollout_metrics.monitor import LOOK_ATTR, History
from rollout_metrics.report.guardrails import evaluate_guardrails
from rollout_metrics.report.history import (
    TABLE_LOOKS,
    history_frame,
    monitoring_context,
    plot_history,
)
from rollout_metrics.report.summary import text_for


def _rows(delta_vip: float = -20.0) -> pd.DataFrame:
    return pd.DataFrame({
        "metric": ["nps", "nps", "nps", "csat"],
        "by": ["overall", "tier", "tier", "overall"],
        "segment": ["overall", "VIP", "new", "overall"],
        "comparison": "after_vs_before",
        "delta": [-6.0, delta_vip, -1.0, -3.0], "before": [35.0, 49.0, 30.0, 74.0],
        "seq_method": "group_sequential",
        "seq_ci_low": [-10.0, delta_vip - 8, -9.0, -5.0],
        "seq_ci_high": [-2.0, delta_vip + 8, 7.0, -1.0],
        "seq_se": [2.0, 4.0, 4.0, 1.0], "seq_p_adjusted": [0.01, 0.001, 0.8, 0.01],
        "seq_significant": [True, True, False, True], "status": "ok",
    })


def _history(tmp_path: Path, looks: int) -> Path:
    path = tmp_path / "h.jsonl"
    h = History(path)
    rows = _rows().drop(columns=["before", "seq_se", "status"]).to_dict("records")
    for k in range(1, looks + 1):
        h.record({"look": k, "share": k / 56, "cutoff": f"2025-09-{k + 1:02d}",
                  "information": 2 * k / (56 + k), "method": "group_sequential",
                  "rows": rows})
    return path


def _look(path: Path | None, number: int, method: str = "group_sequential") -> dict[str, object]:
    return {"number": number, "planned": 56, "days": number, "share": number / 56,
            "information": 0.5, "spending": "obrien_fleming", "method": method,
            "reason": "", "cutoff": "2025-10-20", "earlier_shares": [],
            "off_plan": [[1, 10.0]] if method != "group_sequential" else [],
            "history": None if path is None else str(path), "alpha": 0.05}


def _results(path: Path | None, number: int, method: str = "group_sequential"
             ) -> pd.DataFrame:
    frame = _rows()
    frame.attrs[LOOK_ATTR] = _look(path, number, method)
    return frame


def _guards(results: pd.DataFrame) -> pd.DataFrame:
    return evaluate_guardrails(results, ["nps[*].delta < -5"], times=[0.3, 0.5])


def test_outside_monitoring_there_is_no_history_view() -> None:
    assert monitoring_context(_rows(), pd.DataFrame(), text_for("en")) is None


def test_history_frame_replaces_this_look(tmp_path: Path) -> None:
    path = _history(tmp_path, 3)
    frame = history_frame(_results(path, 3), _look(path, 3))
    assert sorted(set(frame["look"])) == [1, 2, 3]
    assert len(frame[frame["look"] == 3]) == 4  # this run's rows, not the recorded ones
    assert history_frame(_rows(), _look(None, 1))["look"].tolist() == [1, 1, 1, 1]


def test_overall_and_flagged_segments_per_metric(tmp_path: Path) -> None:
    path = _history(tmp_path, 2)
    results = _results(path, 3)
    ctx = monitoring_context(results, _guards(results), text_for("en"))
    assert ctx is not None
    assert [m["metric"] for m in ctx["metrics"]] == ["nps", "csat"]
    nps = ctx["metrics"][0]
    # overall, and VIP (breached); 'new' met nothing
    assert [r["segment"] for r in nps["rows"]] == ["overall"] * 3 + ["VIP (tier)"] * 3
    assert nps["rows"][-1]["ci"] == "−28.0 to −12.0"
    assert nps["rows"][0]["method"] == "group-sequential" and nps["more"] == ""
    assert "group-sequential interval (O'Brien–Fleming-type" in ctx["decides"]
    assert "fixed-horizon 95% intervals" in ctx["decides"]


def test_unplanned_look_says_the_confidence_sequence_decides(tmp_path: Path) -> None:
    results = _results(None, 4, "confidence_sequence")
    en = monitoring_context(results, _guards(results), text_for("en"))
    ru = monitoring_context(results, _guards(results), text_for("ru"))
    assert en is not None and ru is not None
    assert "was not planned" in en["decides"] and "look 1 on day 10" in en["decides"]
    assert "always-valid confidence sequence" in en["decides"]
    assert "не был запланирован" in ru["decides"] and "просмотр 1 на 10-й день" in ru["decides"]
    assert "всегда верная доверительная последовательность" in ru["guard_note"]


def test_long_histories_list_the_last_looks(tmp_path: Path) -> None:
    path = _history(tmp_path, 11)
    ctx = monitoring_context(_results(path, 12), pd.DataFrame(), text_for("ru"))
    assert ctx is not None
    overall = [r for r in ctx["metrics"][0]["rows"]]
    assert [r["look"] for r in overall] == list(range(12 - TABLE_LOOKS + 1, 13))
    assert ctx["metrics"][0]["more"] == "В таблице последние 8 из 12 просмотров; на графике все."


def test_plot_marks_unplanned_looks_and_thresholds() -> None:
    frame = pd.DataFrame({
        "look": [1, 2], "cutoff": ["2025-09-08", "2025-09-15"], "information": [0.2, 0.4],
        "metric": "nps", "by": "overall", "segment": "overall", "delta": [-2.0, -3.0],
        "seq_method": ["group_sequential", "confidence_sequence"],
        "seq_ci_low": [-9.0, -8.0], "seq_ci_high": [5.0, 2.0]})
    fig = plot_history(frame, "nps", [("overall", "overall")], [-5.0], text_for("ru"),
                       "95 %")
    ax = fig.axes[0]
    markers = {line.get_marker() for line in ax.get_lines()}
    assert {"o", "s"} <= markers
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "условие −5" in labels and "в целом" in labels
    assert ax.get_title().startswith("NPS: оценка")


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_section_renders_in_both_languages(tmp_path: Path, lang: str) -> None:
    path = _history(tmp_path, 2)
    results = _results(path, 3)
    t = text_for(lang)
    ctx = monitoring_context(results, _guards(results), t)
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    source = (files("rollout_metrics.report") / "history.html.j2").read_text(encoding="utf-8")
    soup = BeautifulSoup(env.from_string(source).render(monitoring=ctx, t=t), "html.parser")
    assert soup.select_one("section#history h2").get_text() == t("h.history")
    assert len(soup.select("figure img")) == 2 and len(soup.select("table.history")) == 2
    if lang == "ru":
        for el in soup.select(".segment, img"):
            el.decompose()
        words = set(re.findall(r"[A-Za-z][A-Za-z_]*", soup.get_text(" ")))
        assert words <= {"NPS", "CSAT"}, words
