"""The forest plots drawn in a forked child (report/background.py): the same HTML as in one
process, a failing or killed child is not an error, an abandoned child is reaped."""

from __future__ import annotations

import base64
import io
import os
import re

import numpy as np
import pytest
from PIL import Image

import rollout_metrics as rm
from rollout_metrics.report import background
from rollout_metrics.report.background import ENV, in_background, processes
from rollout_metrics.report.builder import TIME_LINE

ROLLOUT = rm.Rollout("2025-09-01", announced="2025-08-11")
linux_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


PNG = re.compile(r"data:image/png;base64,([A-Za-z0-9+/=]+)")


def _html(sample: rm.Dataset, procs: str,
          monkeypatch: pytest.MonkeyPatch) -> tuple[str, list[np.ndarray]]:
    """The report's text (figures replaced by a placeholder) and its figures' pixels."""
    monkeypatch.setenv(ENV, procs)
    rep = rm.build_report(sample, ROLLOUT, by="tier", n_resamples=100)
    html = "\n".join(line for line in rep.html().splitlines() if TIME_LINE not in line)
    pixels = [np.asarray(Image.open(io.BytesIO(base64.b64decode(b))).convert("RGB"), dtype=int)
              for b in PNG.findall(html)]
    return PNG.sub("data:image/png;base64,FIGURE", html), pixels


@linux_fork
def test_the_report_is_the_same_drawn_in_one_or_two_processes(
        sample: rm.Dataset, monkeypatch: pytest.MonkeyPatch) -> None:
    two_text, two_figs = _html(sample, "2", monkeypatch)
    one_text, one_figs = _html(sample, "1", monkeypatch)
    assert two_text == one_text
    assert len(two_figs) == len(one_figs) == 3  # over time, ECDF, Kaplan–Meier
    # Pixels, not bytes: matplotlib 3.11 may anti-alias a title a shade apart between two
    # drawings of the same figure in one process (seen: 561 of 153,090 pixels, at most 4/255).
    for two, one in zip(two_figs, one_figs, strict=True):
        assert two.shape == one.shape
        diff = np.abs(two - one).max(axis=2)
        assert diff.max() <= 8 and (diff > 0).mean() < 0.02


def test_processes_follow_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, "1")
    assert processes() == 1
    monkeypatch.setenv(ENV, "3")
    assert processes() == 3
    monkeypatch.setenv(ENV, "zero")
    assert processes() == 1  # not a number: no child
    monkeypatch.delenv(ENV)
    assert processes() in (1, 2)


@linux_fork
def test_a_failing_child_leaves_its_jobs_to_this_process(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, "2")
    parent = os.getpid()

    def fails_in_child() -> str:
        if os.getpid() != parent:
            raise RuntimeError("child only")
        return "here"

    with in_background({"a": lambda: "a", "b": fails_in_child}) as bg:
        assert bg._pid is not None  # a child was started
        with pytest.warns(RuntimeWarning, match=r"did not deliver 2 figure\(s\) \(a, b\); "
                                                r"drawn in this process"):
            assert bg.result() == {"a": "a", "b": "here"}
        assert bg._pid is None  # and reaped


@linux_fork
def test_an_abandoned_child_is_stopped_and_reaped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, "2")
    big = "x" * (4 << 20)  # more than a pipe holds: the child blocks writing it
    bg = in_background({"big": lambda: big})
    pid = bg._pid
    assert pid is not None
    with pytest.raises(ValueError), bg:
        raise ValueError("the report failed before taking the figures")
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # already reaped


@linux_fork
def test_a_large_result_comes_through_the_pipe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, "2")
    big = "y" * (3 << 20)
    with in_background({"big": lambda: big, "small": lambda: "ж"}) as bg:
        assert bg.result() == {"big": big, "small": "ж"}


def test_without_a_child_jobs_run_on_result(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, "1")
    calls: list[str] = []
    bg = in_background({"a": lambda: calls.append("a") or "1"})
    assert calls == []
    assert bg.result() == {"a": "1"}
    assert bg.result() == {"a": "1"} and calls == ["a"]  # once
    bg.close()
    assert background.Background({}).result() == {}
