"""Unplanned looks in monitoring mode: which runs are planned looks, and the fallback to the
always-valid confidence sequence when the history holds a look the schedule did not plan."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest

from rollout_metrics.cli import EXIT_OK, main
from rollout_metrics.load.dataset import sample_path
from rollout_metrics.monitor import History, Schedule, off_plan, run_look
from rollout_metrics.rollout import Rollout

R = Rollout("2025-09-01")  # after window 2025-09-01 .. 2025-10-26, 56 days
DAY = dt.date(2025, 9, 1)


def _history(tmp_path: Path, *looks: tuple[int, int]) -> History:
    h = History(tmp_path / "h.jsonl")
    for number, day in looks:
        h.record({"look": number, "share": day / 56})
    return h


def test_a_run_between_looks_or_after_the_window_is_a_planned_look(tmp_path: Path) -> None:
    h = _history(tmp_path, (1, 7), (2, 14))
    weekly = Schedule.weekly(56)
    look = run_look(weekly, R, DAY + dt.timedelta(days=18), h)  # day 18: look 2 again
    assert (look.number, look.days, look.method) == (2, 14, "group_sequential")
    assert look.shares == (7 / 56, 14 / 56) and look.cutoff == dt.date(2025, 9, 15)
    late = run_look(weekly, R, dt.date(2026, 3, 1), h)  # long after the window: the last
    assert (late.number, late.days, late.method) == (8, 56, "group_sequential")
    # a missed look is not an unplanned one
    assert late.shares == (7 / 56, 14 / 56, 1.0)


def test_a_history_off_the_schedule_makes_the_look_unplanned(tmp_path: Path) -> None:
    # weekly looks were taken, then the schedule became 4 looks (days 14, 28, 42, 56)
    h = _history(tmp_path, (1, 7), (2, 14), (3, 21))
    four = Schedule.equal(4, 56)
    assert off_plan(four, h.read(), 56) == [(1, 7), (2, 14), (3, 21)]
    look = run_look(four, R, DAY + dt.timedelta(days=30), h)
    # look 2 of the new plan is day 28, but the history's look 2 is day 14: a new number
    assert (look.number, look.days) == (4, 28)
    assert look.method == "confidence_sequence" and "look 1 on day 7" in look.reason
    assert look.shares == (7 / 56, 14 / 56, 21 / 56, 28 / 56)
    h.record({"look": 4, "share": 28 / 56})
    assert run_look(four, R, DAY + dt.timedelta(days=31), h).number == 4  # a re-run
    # more looks recorded than planned
    assert off_plan(Schedule.equal(2, 56), [{"look": 3, "share": 1.0}], 56) == [(3, 56)]
    # weekly looks, then daily: more looks than planned, and look 1 of the daily schedule
    # is day 1, not day 7
    assert run_look(Schedule.daily(56), R, DAY + dt.timedelta(days=25), h).method == (
        "confidence_sequence")


def test_history_file_keeps_the_usual_mode(tmp_path: Path) -> None:
    h = _history(tmp_path, (1, 7))
    assert h.path.stat().st_mode & 0o777 == 0o666 & ~_umask()
    h.path.chmod(0o640)
    h.record({"look": 2, "share": 0.25})
    assert h.path.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["h.jsonl"]


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_no_schedule_every_run_is_an_unplanned_look(tmp_path: Path) -> None:
    h = _history(tmp_path, (1, 5), (2, 9))
    look = run_look(None, R, DAY + dt.timedelta(days=12), h)
    assert (look.number, look.days, look.method) == (3, 12, "confidence_sequence")
    assert look.shares == (5 / 56, 9 / 56, 12 / 56)
    again = run_look(None, R, DAY + dt.timedelta(days=9), h)  # the same day again
    assert again.number == 2
    assert run_look(None, R, DAY, h).number == 0


CONFIG = f"""title = "Unplanned looks"
[data]
path = "{sample_path().as_posix()}"
[rollout]
change_date = 2025-09-01
[analysis]
by = ["tier"]
metrics = ["nps"]
[guardrails]
fail_on = ["nps[VIP].delta < -30"]
[monitor]
"""


def _run(tmp_path: Path, monitor: str, run_date: str) -> dict[str, object]:
    cfg = tmp_path / "rollout.toml"
    cfg.write_text(CONFIG + monitor, encoding="utf-8")
    js = tmp_path / "r.json"
    code = main(["report", "--quiet", "--config", str(cfg), "--out", str(tmp_path / "r.html"),
                 "--json", str(js), "--run-date", run_date])
    assert code == EXIT_OK
    doc: dict[str, object] = json.loads(js.read_text(encoding="utf-8"))
    return doc


@pytest.mark.slow
def test_cli_falls_back_after_the_schedule_changes(tmp_path: Path) -> None:
    doc = _run(tmp_path, 'schedule = "weekly"', "2025-09-09")  # look 1 of 8, day 7
    look = doc["look"]
    assert isinstance(look, dict) and look["method"] == "group_sequential"
    # the schedule is changed to 4 looks: day 7 was not one of them
    doc = _run(tmp_path, "looks = 4", "2025-09-30")
    look = doc["look"]
    assert isinstance(look, dict)
    assert look["method"] == "confidence_sequence" and look["number"] == 2
    assert "look 1 on day 7" in str(look["reason"])
    rows = doc["rows"]
    assert isinstance(rows, list)
    after = [r for r in rows if r["comparison"] == "after_vs_before"]
    assert {r["seq_method"] for r in after} == {"confidence_sequence"}
    guards = doc["guardrails"]
    assert isinstance(guards, list) and guards[0]["method"] == "confidence_sequence"
    history = History(tmp_path / "rollout.history.jsonl").read()
    assert [(r["look"], r["method"]) for r in history] == [(1, "group_sequential"),
                                                           (2, "confidence_sequence")]
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert 'id="history"' in html and "confidence sequence" in html
