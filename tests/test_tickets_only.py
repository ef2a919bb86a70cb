"""An export without a customers table runs the metrics that do not need one.

Handling and first-response time and repeat contacts come from tickets alone, NPS and CSAT
from surveys alone; the metrics per active customer (churn, complaint and contact rates,
contact share) and customer segments need customers and say so — left out of the default
metrics with a note, an error when asked for by name.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

import rollout_metrics as rm
from rollout_metrics.cli import main
from rollout_metrics.load.dataset import sample_path

ROLLOUT = rm.Rollout("2025-09-01")
TICKETS = sample_path() / "tickets.csv"
SURVEYS = sample_path() / "surveys.csv"


@pytest.fixture(scope="module")
def full() -> rm.Dataset:
    return rm.load_sample()


@pytest.mark.parametrize("engine", ["file", "pandas", "duckdb"])
def test_tickets_alone_give_the_ticket_metrics(engine: str, full: rm.Dataset) -> None:
    source: Any = {"file": TICKETS, "pandas": pd.read_csv(TICKETS),
                   "duckdb": duckdb.read_csv(str(TICKETS))}[engine]
    data = rm.load_dataset({"tickets": source})
    # Without customers no ticket can have an unknown customer: only the sample's 3 tickets
    # resolved before they were created are excluded.
    assert data.rows.to_dict("records") == [
        {"table": "tickets", "rows_read": 40447, "rows_excluded": 3, "rows_used": 40444}]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = rm.compare(data, ROLLOUT, by="channel", n_resamples=200)
    notes = [str(w.message) for w in caught]
    assert ("left out of the default metrics: complaints: no customers table was given; it "
            "is counted per active customer") in notes and len(notes) == 5
    assert sorted(set(table.metric)) == ["first_response_time", "handling_time"]
    same = rm.compare(full, ROLLOUT, ["handling_time", "first_response_time"], by="channel",
                      n_resamples=200)
    cols = ["metric", "segment", "n_before", "n_after", "before", "after", "delta"]
    pd.testing.assert_frame_equal(table[cols].reset_index(drop=True),
                                  same[cols].reset_index(drop=True))


def test_surveys_alone_give_nps_and_csat(full: rm.Dataset) -> None:
    data = rm.load_dataset({"surveys": SURVEYS})
    # Responses of customers missing from customers stay: there is no table to know them.
    assert "unknown customer_id (not in customers)" not in set(data.quality.rule)
    assert data.rows.rows_excluded.tolist() == [4]
    table = rm.compare(data, ROLLOUT, ["nps", "csat"])
    assert table.status.eq("ok").all() and len(table) == 2


def test_asked_by_name_is_an_error() -> None:
    data = rm.load_dataset({"tickets": TICKETS})
    with pytest.raises(rm.MissingColumnError, match=r"complaints: no customers table was "
                       r"given.*the denominator needs the customers table"):
        rm.compare(data, ROLLOUT, ["complaints"])
    with pytest.raises(rm.MissingColumnError, match="segment column 'tier' does not exist.*"
                       r"\(no customers table was given: customer segments need it\)"):
        rm.compare(data, ROLLOUT, ["handling_time"], by="tier")
    with pytest.raises(rm.DataValidationError, match="no table was given"):
        rm.load_dataset({})


def _config(folder: Path, extra: str = "") -> Path:
    path = folder / "rollout.toml"
    path.write_text(f'[data]\ntickets = "{TICKETS}"\n[rollout]\nchange_date = 2025-09-01\n'
                    f'[analysis]\nby = [["channel"]]\nn_resamples = 200\n{extra}',
                    encoding="utf-8")
    return path


def test_cli_runs_a_tickets_only_export(tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "r.html"
    assert main(["report", "--config", str(_config(tmp_path)), "--out", str(out),
                 "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "note: left out: churn: no customers table was given" in err
    assert "note: left out: nps: no surveys table was given" in err
    assert out.is_file()


def test_cli_guardrail_on_a_metric_left_out_is_exit_2(tmp_path: Path, capsys: Any) -> None:
    cfg = _config(tmp_path, '[guardrails]\nfail_on = ["complaints.delta > 5"]\n')
    assert main(["report", "--config", str(cfg), "--out", str(tmp_path / "r.html"),
                 "--quiet"]) == 2
    assert "guardrails on complaints, which the data cannot feed" in capsys.readouterr().err
