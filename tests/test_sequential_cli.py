"""Monitoring mode on the command line: the look of a run, the run history, ``--json``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from rollout_metrics.cli import EXIT_BREACH, EXIT_INVALID, EXIT_OK, main
from rollout_metrics.load.dataset import sample_path
from rollout_metrics.monitor import History, Schedule, history_view
from rollout_metrics.rollout import Rollout

CONFIG = f"""title = "Monitoring test"
[data]
path = "{sample_path().as_posix()}"
[rollout]
change_date = 2025-09-01
[analysis]
by = ["tier"]
metrics = ["nps"]
[guardrails]
fail_on = ["nps[VIP].delta < -5"]
[monitor]
"""


def _run(tmp_path: Path, monitor: str, *extra: str) -> int:
    cfg = tmp_path / "rollout.toml"
    cfg.write_text(CONFIG + monitor, encoding="utf-8")
    return main(["report", "--quiet", "--config", str(cfg), "--out",
                 str(tmp_path / "r.html"), *extra])


def test_schedules() -> None:
    assert Schedule.weekly(30).days == (7, 14, 21, 28, 30)
    assert Schedule.equal(8, 56).days == tuple(range(7, 57, 7))
    assert Schedule.daily(3).days == (1, 2, 3)
    r = Rollout("2025-09-01", washout_days=7)
    s = Schedule.weekly(56)
    assert s.look_on(r, dt.date(2025, 9, 14)) == (0, 0)
    assert s.look_on(r, dt.date(2025, 9, 15)) == (1, 7)
    assert s.look_on(r, dt.date(2026, 1, 1)) == (8, 56)


def test_a_run_before_the_first_look_writes_nothing(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(tmp_path, 'schedule = "weekly"', "--run-date", "2025-09-05") == EXIT_OK
    assert "no look due yet" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rollout.toml"]


def test_looks_history_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    js = tmp_path / "r.json"
    # look 1 of 8, twice: one line; the VIP drop is not yet shown beyond -5
    for _ in range(2):
        code = _run(tmp_path, "looks = 8", "--run-date", "2025-09-09", "--json", str(js))
        assert code == EXIT_OK
    history = History(tmp_path / "rollout.history.jsonl").read()
    assert [r["look"] for r in history] == [1]
    doc = json.loads(js.read_text(encoding="utf-8"))
    assert doc["decision"] == "no breach" and doc["exit_code"] == 0
    assert doc["decided_by"] == "sequential" and doc["look"]["number"] == 1
    assert doc["look"]["share"] == 0.125 and doc["look"]["earlier_shares"] == []
    guard = doc["guardrails"][0]
    assert guard["rule"] == "margin" and guard["value"] < -5 < guard["limit"]
    assert guard["outcome"] == "met, not beyond the margin"
    vip = next(r for r in doc["rows"] if r["segment"] == "VIP")
    assert vip["seq_ci_low"] < vip["ci_low"] and vip["seq_ci_high"] > vip["ci_high"]
    # the last look (look 2 to 7 missed): the sequential limit is beyond -5, exit 1
    assert _run(tmp_path, "looks = 8", "--run-date", "2025-11-01", "--json",
                str(js)) == EXIT_BREACH
    assert "sequential limit is beyond the threshold" in capsys.readouterr().err
    doc = json.loads(js.read_text(encoding="utf-8"))
    assert doc["decision"] == "breach" and doc["exit_code"] == 1 and doc["breaches"] == 1
    assert doc["look"]["earlier_shares"] == [0.125] and doc["look"]["information"] == 1.0
    view = history_view(tmp_path / "rollout.history.jsonl")
    assert sorted(set(view["look"])) == [1, 8]
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Monitoring look 8 of 8" in html


def test_fixed_horizon_json(tmp_path: Path) -> None:
    cfg = tmp_path / "rollout.toml"
    cfg.write_text(CONFIG.replace("[monitor]\n", ""), encoding="utf-8")
    js = tmp_path / "out.json"
    code = main(["report", "--quiet", "--config", str(cfg), "--out", str(tmp_path / "r.html"),
                 "--json", str(js)])
    doc = json.loads(js.read_text(encoding="utf-8"))
    assert code == EXIT_BREACH and doc["exit_code"] == 1 and doc["look"] is None
    assert doc["decided_by"] == "fixed_horizon" and doc["guardrails"][0]["rule"] == "fixed"
    assert {"metric", "segment", "delta", "ci_low", "p_adjusted"} <= set(doc["rows"][0])
    assert doc["quality"] and doc["fingerprint"].startswith("customers")


@pytest.mark.parametrize(("monitor", "extra", "message"), [
    ('looks = 8\nschedule = "weekly"', (), "looks or schedule, not both"),
    ('spending = "haybittle"', (), "obrien_fleming, pocock"),
    ("looks = 0", (), "looks must be a whole number >= 1"),
    ("looks = 60", ("--run-date", "2025-10-01"), "more than one a day"),
])
def test_bad_monitor_config(tmp_path: Path, capsys: pytest.CaptureFixture[str], monitor: str,
                            extra: tuple[str, ...], message: str) -> None:
    assert _run(tmp_path, monitor, *extra) == EXIT_INVALID
    assert message in capsys.readouterr().err


def test_run_date_needs_monitoring(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--sample", "--run-date", "2025-10-01", "--out",
                 str(tmp_path / "r.html")]) == EXIT_INVALID
    assert "--run-date needs monitoring mode" in capsys.readouterr().err


def test_damaged_history_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                      ) -> None:
    (tmp_path / "rollout.history.jsonl").write_text("{not json\n", encoding="utf-8")
    assert _run(tmp_path, 'schedule = "weekly"', "--run-date", "2025-09-20") == EXIT_INVALID
    assert "line 1: not a record" in capsys.readouterr().err
