"""The command line: exit codes 0 / 1 (guardrail) / 2 (bad config or data), with messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from rollout_metrics.cli import breaches, main, parse_guardrail
from rollout_metrics.load.dataset import sample_path

SAMPLE = sample_path()
CONFIG = f"""
title = "CLI test"
[data]
path = "{SAMPLE.as_posix()}"
[rollout]
change_date = 2025-09-01
announced = "2025-08-11"
[analysis]
by = ["tier"]
metrics = ["nps"]
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rollout.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _run(tmp_path: Path, config: str, *extra: str) -> int:
    cfg = _write(tmp_path, config)
    return main(["report", "--config", str(cfg), "--out", str(tmp_path / "r.html"), *extra])


def test_ok_writes_report_with_progress(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                        ) -> None:
    assert _run(tmp_path, CONFIG) == 0
    assert (tmp_path / "r.html").stat().st_size > 10_000
    err = capsys.readouterr().err
    assert "loading data" in err and "comparing nps by tier" in err and "writing" in err


def test_quiet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(tmp_path, CONFIG, "--quiet") == 0
    assert capsys.readouterr().err == ""


def test_guardrail_breach_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(tmp_path, CONFIG, "--quiet", "--fail-on", "nps[VIP].delta < -5") == 1
    err = capsys.readouterr().err
    assert "guardrail breached by 1 significant row" in err and "VIP" in err


def test_guardrail_in_config_not_met_exits_0(tmp_path: Path) -> None:
    # The overall NPS change is not below -50 points; a non-significant row never breaches.
    config = CONFIG + '[guardrails]\nfail_on = ["nps.delta < -50", "nps[new].delta < 0"]\n'
    assert _run(tmp_path, config, "--quiet") == 0


def test_unknown_key_lists_known_keys(tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(tmp_path, CONFIG.replace("[analysis]", "[analysis]\nsegments = 1")) == 2
    err = capsys.readouterr().err
    assert "unknown key(s) ['segments'] in [analysis]" in err
    assert "known keys: ['alpha', 'by'" in err and "rollout.toml" in err


def test_missing_data_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = CONFIG.replace(f'path = "{SAMPLE.as_posix()}"', 'customers = "nowhere.csv"')
    assert _run(tmp_path, config) == 2
    err = capsys.readouterr().err
    assert "[data] customers: file not found" in err and "rollout.toml" in err


def test_missing_config_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--config", str(tmp_path / "none.toml")]) == 2
    assert "config file not found" in capsys.readouterr().err


def test_bad_date(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(tmp_path, CONFIG.replace('"2025-08-11"', '"2025-13-45"')) == 2
    err = capsys.readouterr().err
    assert "[rollout] announced: not a date like 2025-09-01: '2025-13-45'" in err
    assert "rollout.toml" in err


def test_bad_data_is_exit_2_without_traceback(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    config = CONFIG.replace("2025-09-01", "2030-01-01").replace('"2025-08-11"', '"2029-12-01"')
    assert _run(tmp_path, config) == 2
    err = capsys.readouterr().err
    assert "rollout-metrics: error: the before window" in err and "Traceback" not in err


def test_bad_guardrail(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(tmp_path, CONFIG, "--fail-on", "__import__('os').system('x')") == 2
    assert "bad guardrail" in capsys.readouterr().err


def test_no_command_is_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage" in capsys.readouterr().err


@pytest.mark.parametrize("text, expected", [
    ("nps.delta < -5", ("nps", None, "delta", "<", -5.0)),
    ("complaints[*].delta_rel>=0.25", ("complaints", "*", "delta_rel", ">=", 0.25)),
    (" csat[tier VIP].after != 1e2 ", ("csat", "tier VIP", "after", "!=", 100.0)),
])
def test_parse_guardrail(text: str, expected: tuple[object, ...]) -> None:
    g = parse_guardrail(text)
    assert (g.metric, g.segment, g.field, g.op, g.value) == expected


@pytest.mark.parametrize("text, match", [
    ("nps.delta <", "expected metric"), ("nps.status == 1", "unknown field 'status'"),
    ("nps.delta < 1; rm -rf", "expected metric"),
])
def test_parse_guardrail_errors(text: str, match: str) -> None:
    from rollout_metrics import ConfigError

    with pytest.raises(ConfigError, match=match):
        parse_guardrail(text)


def test_breaches_empty_when_no_rows() -> None:
    import pandas as pd

    table = pd.DataFrame(columns=["metric", "comparison", "segment", "significant", "delta"])
    assert breaches(table, [parse_guardrail("nps.delta < 0")]).empty


def test_sample_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sample.html"
    assert main(["report", "--sample", "--out", str(out), "--n-resamples", "200"]) == 0
    assert out.is_file()
    assert "loading the bundled sample" in capsys.readouterr().err
