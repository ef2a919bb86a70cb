"""The command line: exit codes 0 / 1 (guardrail) / 2 (bad config, data or arguments) /
3 (internal error, traceback in a log file), the checked configuration, guardrails that
cannot pass silently, atomic writes and a quick ``--help``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from rollout_metrics import ConfigError
from rollout_metrics.cli import breaches, main, parse_guardrail
from rollout_metrics.config import load_config
from rollout_metrics.load.dataset import sample_path
from rollout_metrics.report.guardrails import evaluate_guardrails

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = sample_path()
BASE: dict[str, dict[str, str]] = {
    "": {"title": '"CLI test"'},
    "data": {"path": f'"{SAMPLE.as_posix()}"'},
    "rollout": {"change_date": "2025-09-01", "announced": '"2025-08-11"'},
    "analysis": {"by": '["tier"]', "metrics": '["nps"]'},
}


def toml(**changes: str | None) -> str:
    """The base config with ``section__key=raw TOML value`` changes (``None`` drops a key)."""
    sections = {name: dict(keys) for name, keys in BASE.items()}
    for name, value in changes.items():
        section, _, key = name.rpartition("__")
        table = sections.setdefault(section, {})
        if value is None:
            table.pop(key, None)
        else:
            table[key] = value
    lines = [f"{k} = {v}" for k, v in sections.pop("").items()]
    for section, keys in sections.items():
        lines += [f"[{section}]", *(f"{k} = {v}" for k, v in keys.items())]
    return "\n".join(lines) + "\n"


CONFIG = toml()


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rollout.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _run(tmp_path: Path, config: str, *extra: str) -> int:
    cfg = _write(tmp_path, config)
    return main(["report", "--config", str(cfg), "--out", str(tmp_path / "r.html"), *extra])


def _error(capsys: pytest.CaptureFixture[str]) -> str:
    """The one-line error message of an exit-2 run."""
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("rollout-metrics"), err
    assert "Traceback" not in err
    return err


# -- exit 0 ----------------------------------------------------------------------------
def test_ok_writes_report_with_progress(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                        ) -> None:
    assert _run(tmp_path, CONFIG) == 0
    assert (tmp_path / "r.html").stat().st_size > 10_000
    err = capsys.readouterr().err
    assert "loading data" in err and "comparing nps by tier" in err and "writing" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html", "rollout.toml"]


def test_quiet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(tmp_path, CONFIG, "--quiet") == 0
    assert capsys.readouterr().err == ""


def test_example_config_runs_green(tmp_path: Path) -> None:
    example = ROOT / "docs" / "rollout.example.toml"
    out = tmp_path / "example.html"
    assert main(["report", "--config", str(example), "--out", str(out), "--quiet",
                 "--n-resamples", "200"]) == 0
    soup = BeautifulSoup(out.read_text(encoding="utf-8"), "html.parser")
    outcomes = {td.get_text() for td in soup.select("#guardrails td.outcome")}
    assert outcomes and "breached" not in outcomes


def test_sample_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sample.html"
    assert main(["report", "--sample", "--out", str(out), "--n-resamples", "200"]) == 0
    assert out.is_file()
    assert "loading the bundled sample" in capsys.readouterr().err


def test_single_metric_string_and_string_dates(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, toml(analysis__metrics='"nps"',
                                               rollout__change_date='"2025-09-01"')))
    assert config.analysis.metrics == ("nps",)
    assert str(config.rollout.change_date) == "2025-09-01"
    assert config.rollout.announced is not None and config.rollout.announced.day == 11


# -- exit 1 ----------------------------------------------------------------------------
def test_guardrail_breach_exits_1_and_is_in_the_report(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # nps[vip] matches the segment VIP: the only one that matches ignoring case.
    assert _run(tmp_path, CONFIG, "--quiet", "--fail-on", "nps[vip].delta < -5",
                "--fail-on", "nps.delta < -50") == 1
    err = capsys.readouterr().err
    assert "guardrail breached by 1 significant row" in err and "VIP" in err
    soup = BeautifulSoup((tmp_path / "r.html").read_text(encoding="utf-8"), "html.parser")
    rows = soup.select("#guardrails tbody tr")
    assert [r.select_one("td.outcome").get_text() for r in rows] == ["breached", "not met"]
    assert rows[0]["data-key"] == "nps|tier|VIP|after_vs_before"
    assert rows[0]["class"] == ["sig"]
    assert "1 breached" in soup.select_one("#guardrails p").get_text()


def test_guardrail_in_config_not_met_exits_0(tmp_path: Path) -> None:
    # The overall NPS change is not below -50 points; a non-significant row never breaches.
    config = CONFIG + '[guardrails]\nfail_on = ["nps.delta < -50", "nps[new].delta < 0"]\n'
    assert _run(tmp_path, config, "--quiet") == 0


def test_untested_rows_are_reported_not_silent(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    # With min_n above the sample's size no NPS row is tested: the run warns and the report
    # says so.
    config = toml(analysis__metrics='["nps"]', analysis__min_n="100000")
    assert _run(tmp_path, config, "--quiet", "--fail-on", "nps[VIP].delta > 0") == 0
    err = capsys.readouterr().err
    assert "warning: guardrail 'nps[VIP].delta > 0': 1 row(s) not tested" in err
    assert "insufficient_data" in err
    soup = BeautifulSoup((tmp_path / "r.html").read_text(encoding="utf-8"), "html.parser")
    assert soup.select_one("#guardrails td.outcome").get_text() == "not tested"


# -- exit 2: the configuration ---------------------------------------------------------
@pytest.mark.parametrize("change, message", [
    ({"title": "5"}, "title must be a non-empty string, got 5 (an integer)"),
    ({"title": '["a"]'}, "title must be a non-empty string, got ['a'] (an array)"),
    ({"rollout__change_date": "20250901"},
     "[rollout] change_date must be a date like 2025-09-01, got 20250901 (an integer)"),
    ({"rollout__announced": '"2025-13-45"'},
     "[rollout] announced must be a date like 2025-09-01, got '2025-13-45' (a string)"),
    ({"rollout__announced": "2025-09-02"},
     "[rollout] announced (2025-09-02) must be before change_date (2025-09-01)"),
    ({"rollout__timezone": "3"}, "[rollout] timezone must be a timezone name"),
    ({"rollout__timezone": '"Mars/Olympus"'},
     "[rollout] timezone must be a timezone of the timezone database"),
    ({"rollout__timezone": '"europe/paris"'}, "(did you mean 'Europe/Paris'?)"),
    ({"rollout__pre_days": "0"}, "[rollout] pre_days must be a whole number >= 1, got 0"),
    ({"analysis__min_n": "-1"}, "[analysis] min_n must be a whole number >= 1, got -1"),
    ({"analysis__n_resamples": "-5"}, "[analysis] n_resamples must be a whole number >= 1"),
    ({"analysis__n_resamples": '"many"'},
     "[analysis] n_resamples must be a whole number >= 1, got 'many' (a string)"),
    ({"analysis__n_resamples": "2.5"}, "got 2.5 (a float)"),
    ({"analysis__seed": '"x"'}, "[analysis] seed must be a whole number >= 0, got 'x'"),
    ({"analysis__alpha": "1"}, "[analysis] alpha must be a number between 0 and 1"),
    ({"analysis__alpha": "true"}, "got true (a boolean)"),
    ({"analysis__correction": '"bonferroni"'}, "[analysis] correction must be one of fdr_bh"),
    ({"analysis__handling_stat": '"p95"'}, "must be one of median, p90, mean"),
    ({"analysis__metrics": '"npz"'}, "unknown metric(s) 'npz' (did you mean 'nps'?)"),
    ({"analysis__metrics": "[]"}, "[analysis] metrics must be a metric name or an array"),
    ({"analysis__by": "[1]"}, "[analysis] by must be a column"),
    ({"data__strict": "'false'"},
     "[data] strict must be true or false (without quotes), got 'false' (a string)"),
    ({"data__customers": '"c.csv"'}, "[data] path and customers are both given"),
    ({"data__path": None}, "[data] needs path (a folder with the tables) or a file per table"),
    ({"data__path": None, "data__customers": '"nowhere.csv"'},
     "[data] customers: file not found"),
    ({"data__columns": '{ tickets = { opened = 1 } }'}, "[data] columns must map your column"),
    ({"data__columns": '{ order = { a = "b" } }'}, "has unknown table(s) 'order'"),
    ({"rollout__change_date": None}, "[rollout] change_date is required"),
    ({"titel": '"x"'}, "unknown key 'titel' (did you mean 'title'?)"),
    ({"analysis__segments": "1"}, "[analysis] unknown key 'segments'"),
    ({"rollout": '"2025-09-01"'}, "[rollout] must be a table"),
])
def test_bad_config_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                              change: dict[str, str | None], message: str) -> None:
    if "rollout" in change:  # a table replaced by a value: written by hand
        text = toml().replace("[rollout]\nchange_date = 2025-09-01\nannounced = \"2025-08-11\"\n",
                              "").replace('title = "CLI test"', 'title = "CLI test"\nrollout = '
                                          + str(change["rollout"]))
    else:
        text = toml(**change)
    assert _run(tmp_path, text) == 2
    err = _error(capsys)
    assert message in err and "rollout.toml" in err
    assert not (tmp_path / "r.html").exists()


def test_every_problem_in_one_message(tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    text = toml(title="5", rollout__change_date="20250901", rollout__timezone="3",
                analysis__min_n="-1", analysis__seed='"x"', data__strict="'false'",
                analysis__segments="1")
    assert _run(tmp_path, text) == 2
    err = _error(capsys)
    assert "7 problems" in err
    for key in ("title", "[data] strict", "[rollout] change_date", "[rollout] timezone",
                "[analysis] min_n", "[analysis] seed", "[analysis] unknown key 'segments'"):
        assert key in err, key


def test_known_keys_are_listed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(tmp_path, toml(analysis__segments="1")) == 2
    assert "known keys: by, metrics, alpha, correction" in _error(capsys)


def test_config_not_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "rollout.toml"
    cfg.write_bytes(CONFIG.replace("CLI test", "Résumé").encode("latin-1"))
    assert main(["report", "--config", str(cfg), "--out", str(tmp_path / "r.html")]) == 2
    assert "not UTF-8 text (byte 0xe9 on line 1); save the file as UTF-8" in _error(capsys)


def test_config_with_utf8_bom_is_read(tmp_path: Path) -> None:
    cfg = tmp_path / "rollout.toml"
    cfg.write_bytes(b"\xef\xbb\xbf" + CONFIG.encode("utf-8"))
    assert load_config(cfg).title == "CLI test"


def test_not_toml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(tmp_path, "title = \n") == 2
    assert "not valid TOML" in _error(capsys)


def test_missing_config_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--config", str(tmp_path / "none.toml")]) == 2
    assert "config file not found" in _error(capsys)


# -- exit 2: the output ----------------------------------------------------------------
def test_out_in_a_folder_that_cannot_exist(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    cfg = _write(tmp_path, CONFIG)
    assert main(["report", "--config", str(cfg), "--out", str(blocker / "r.html")]) == 2
    assert f"--out {blocker / 'r.html'}: cannot write to the folder" in _error(capsys)


def test_out_is_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = _write(tmp_path, CONFIG)
    assert main(["report", "--config", str(cfg), "--out", str(tmp_path)]) == 2
    assert "is a folder; give a file name" in _error(capsys)


def test_failed_write_keeps_the_previous_report(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    out = tmp_path / "r.html"
    out.write_text("last week's report", encoding="utf-8")
    real_write = os.write
    calls = []

    def fail_midway(fd: int, data: bytes) -> int:  # the first chunk lands, then disk full
        if fd > 2:
            calls.append(len(data))
            if len(calls) > 1:
                raise OSError(28, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr("rollout_metrics.report.builder.CHUNK", 1000)
    monkeypatch.setattr(os, "write", fail_midway)
    assert _run(tmp_path, CONFIG, "--quiet") == 2
    monkeypatch.undo()
    assert len(calls) == 2
    err = _error(capsys)
    assert "cannot write the report" in err and "No space left on device" in err
    assert out.read_text(encoding="utf-8") == "last week's report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html", "rollout.toml"]


# -- exit 2: data and arguments --------------------------------------------------------
def test_bad_data_is_exit_2_without_traceback(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    config = toml(rollout__change_date="2030-01-01", rollout__announced='"2029-12-01"')
    assert _run(tmp_path, config, "--quiet") == 2
    assert "rollout-metrics: error: the before window" in _error(capsys)


def test_unreadable_data_file_is_exit_2(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "customers.parquet").write_bytes(b"PAR1 not parquet")
    config = toml(data__path=None, data__customers='"customers.parquet"')
    assert _run(tmp_path, config, "--quiet") == 2
    assert "customers (" in (err := _error(capsys)) and "could not be read" in err


def test_no_command_is_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    err = _error(capsys)
    assert "the following arguments are required: COMMAND" in err and "usage:" in err


def test_bad_argument_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--sample", "--n-resamples", "0"]) == 2
    assert "--n-resamples: must be a whole number >= 1, got '0'" in _error(capsys)


# -- exit 2: guardrails that cannot be evaluated ---------------------------------------
@pytest.mark.parametrize("condition, message", [
    ("__import__('os').system('x')", "bad guardrail"),
    ("nps.delta <", "expected a number after '<'"),
    ("nps.delta = -5", "expected an operator (<, <=, >, >=, ==, !=) after 'nps.delta'"),
    ("nps delta < 5", "expected metric[segment].field OP number"),
    ("npz.delta < -5", "unknown metric 'npz' (did you mean 'nps'?); metrics of this run: nps"),
    ("NPS.delta < -5", "unknown metric 'NPS' (did you mean 'nps'?)"),
    ("csat.delta < -5", "metric 'csat' is not in this run"),
    ("nps.delta_real < 0", "unknown field 'delta_real' (did you mean 'delta_rel' or 'delta'?)"),
    ("nps.status == 1", "unknown field 'status'"),
    ("nps.during.delta < 0", "unknown comparison 'during'; comparisons: after_vs_before, "
                             "transition_vs_before"),
    ("nps.delta_rel < -0.1", "nps has no relative change"),
])
def test_guardrail_that_cannot_be_evaluated_is_exit_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], condition: str,
        message: str) -> None:
    assert _run(tmp_path, CONFIG, "--fail-on", condition) == 2
    err = _error(capsys)
    assert message in err
    assert "loading data" not in err  # checked before any data is read


def test_guardrail_in_config_is_checked_at_load(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    config = CONFIG + '[guardrails]\nfail_on = "NPS.delta < -5"\n'
    assert _run(tmp_path, config) == 2
    assert "[guardrails] fail_on: guardrail 'NPS.delta < -5': unknown metric 'NPS'" in (
        _error(capsys))


def test_transition_guardrail_without_announcement(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    config = toml(rollout__announced=None)
    assert _run(tmp_path, config, "--fail-on", "nps.transition_vs_before.delta < 0") == 2
    assert "no announcement date" in _error(capsys)


def test_unknown_segment_lists_the_segments(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(tmp_path, CONFIG, "--quiet", "--fail-on", "nps[Gold].delta < -5") == 2
    err = _error(capsys)
    assert "unknown segment 'Gold' for nps; segments of nps: overall, VIP, new, regular" in err
    assert not (tmp_path / "r.html").exists()


# -- guardrails on a results table -----------------------------------------------------
def _results(segments: list[str], metric: str = "nps") -> pd.DataFrame:
    n = len(segments)
    return pd.DataFrame({
        "metric": [metric] * n, "by": ["tier"] * n, "segment": segments,
        "comparison": ["after_vs_before"] * n, "delta": [-10.0] * n,
        "p_adjusted": [0.01] * n, "significant": pd.array([True] * n, dtype="boolean"),
        "status": ["ok"] * n,
    })


def test_ambiguous_segment() -> None:
    with pytest.raises(ConfigError, match="segment 'Vip' is ambiguous: it matches 'VIP', 'vip'"):
        evaluate_guardrails(_results(["overall", "VIP", "vip"]), ["nps[Vip].delta < 0"])


def test_exact_segment_wins_over_case_insensitive() -> None:
    table = evaluate_guardrails(_results(["overall", "VIP", "vip"]), ["nps[vip].delta < 0"])
    assert table["segment"].tolist() == ["vip"]


def test_crossed_segment_matches_ignoring_case_and_spaces() -> None:
    table = evaluate_guardrails(_results(["overall", "phone × VIP"]),
                                ["nps[PHONE×vip].delta < 0"])
    assert table["segment"].tolist() == ["phone × VIP"] and table["breached"].all()


def test_segment_of_another_metric() -> None:
    results = pd.concat([_results(["overall"]), _results(["overall", "phone"], "complaints")])
    with pytest.raises(ConfigError, match="'phone' is a segment of complaints; segments of "
                                          "nps: overall"):
        evaluate_guardrails(results, ["nps[phone].delta < 0"])


def test_close_segment_is_suggested() -> None:
    with pytest.raises(ConfigError, match=r"unknown segment 'regulr' for nps \(did you mean "
                                          r"'regular'\?\)"):
        evaluate_guardrails(_results(["overall", "regular"]), ["nps[regulr].delta < 0"])


def test_breaches_of_an_empty_table_raise() -> None:
    table = pd.DataFrame(columns=["metric", "comparison", "segment", "significant", "delta"])
    with pytest.raises(ConfigError, match="no after_vs_before rows of 'nps'"):
        breaches(table, [parse_guardrail("nps.delta < 0")])


def test_every_segment_and_outcomes() -> None:
    results = _results(["overall", "VIP", "new"])
    results.loc[2, "significant"] = pd.NA
    table = evaluate_guardrails(results, ["nps[*].delta < -5"])
    assert table["outcome"].tolist() == ["breached", "breached", "not tested"]
    assert len(breaches(results, ["nps[*].delta < -5"])) == 2


@pytest.mark.parametrize("text, expected", [
    ("nps.delta < -5", ("nps", None, "after_vs_before", "delta", "<", -5.0)),
    ("complaints[*].delta_rel>=0.25", ("complaints", "*", "after_vs_before", "delta_rel", ">=",
                                       0.25)),
    (" csat[tier VIP].after != 1e2 ", ("csat", "tier VIP", "after_vs_before", "after", "!=",
                                       100.0)),
    ("churn[VIP].transition_vs_before.delta > 1", ("churn", "VIP", "transition_vs_before",
                                                    "delta", ">", 1.0)),
])
def test_parse_guardrail(text: str, expected: tuple[object, ...]) -> None:
    g = parse_guardrail(text)
    assert (g.metric, g.segment, g.comparison, g.field, g.op, g.value) == expected


@pytest.mark.parametrize("text, match", [
    ("nps.delta <", "expected a number"), ("nps.status == 1", "unknown field 'status'"),
    ("nps.delta < 1; rm -rf", "expected a number after '<', got '1; rm -rf'"),
])
def test_parse_guardrail_errors(text: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        parse_guardrail(text)


# -- exit 3 ----------------------------------------------------------------------------
def _boom(*args: object, **kwargs: object) -> None:
    raise ZeroDivisionError("float division by zero")


def test_internal_error_is_exit_3_with_a_log_next_to_the_report(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("rollout_metrics.report.builder.build_report", _boom)
    assert _run(tmp_path, CONFIG, "--quiet") == 3
    err = capsys.readouterr().err
    log = tmp_path / "r.html.log"
    assert err == (f"rollout-metrics: internal error (ZeroDivisionError: float division by "
                   f"zero); the full traceback is in {log}\n")
    text = log.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text and "in _boom" in text
    assert "--quiet" in text  # the arguments of the run


def test_internal_error_log_falls_back_to_a_temporary_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    monkeypatch.setattr("rollout_metrics.report.builder.build_report", _boom)
    (tmp_path / "r.html.log").mkdir()  # OUT.log cannot be written
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    assert _run(tmp_path, CONFIG, "--quiet") == 3
    err = capsys.readouterr().err
    (log,) = temp.glob("rollout-metrics-*.log")
    assert err.count("\n") == 1 and str(log) in err and "Traceback" not in err
    assert "ZeroDivisionError" in log.read_text(encoding="utf-8")


# -- help and start-up -----------------------------------------------------------------
def test_help_is_clean_and_states_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    top = capsys.readouterr().out
    assert main(["report", "--help"]) == 0
    report = capsys.readouterr().out
    for text in (top, report):
        assert "exit codes:" in text and "3  unexpected internal error" in text
        assert "``" not in text and ":func:" not in text
    assert "(default: reports/report.html)" in report
    for option in ("--out", "--fail-on", "--n-resamples", "--quiet"):
        line = report.split(f"  {option}", 1)[1].split("\n  --", 1)[0]
        assert "default" in line, option


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    import rollout_metrics as rm

    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"rollout-metrics {rm.__version__}\n"


def test_help_imports_no_heavy_module() -> None:
    code = ("import sys\nfrom rollout_metrics.cli import main\nmain(['report', '--help'])\n"
            "heavy = ['pandas', 'numpy', 'jinja2', 'matplotlib', 'narwhals',\n"
            "         'rollout_metrics.report.builder', 'rollout_metrics.metrics']\n"
            "print(','.join(m for m in heavy if m in sys.modules), file=sys.stderr)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stderr.strip() == ""


def test_module_entry_point_exit_code(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "rollout_metrics", "report", "--config",
                          str(tmp_path / "none.toml")], capture_output=True, text=True)
    assert out.returncode == 2
    assert out.stderr == f"rollout-metrics: error: config file not found: {tmp_path / 'none.toml'}\n"
