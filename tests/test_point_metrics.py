"""Point metrics for scripts: the same numbers as compare, and no number from a missing column."""

from __future__ import annotations

import pandas as pd
import pytest

import rollout_metrics as rm


def test_churn_rate_matches_compare(sample_frames: dict[str, pd.DataFrame]) -> None:
    r = rm.Rollout("2025-09-01")
    lo, hi = r.windows()["after"]
    t = rm.compare(rm.load_dataset(dict(sample_frames)), r, ["churn", "complaints"])
    after = t[t["segment"] == "overall"].set_index("metric")["after"]
    customers = sample_frames["customers"]
    assert rm.churn_rate(customers, lo, hi) == pytest.approx(after["churn"], rel=1e-12)
    assert rm.complaint_rate(sample_frames["tickets"], customers, lo, hi) == pytest.approx(
        after["complaints"], rel=1e-12)


def test_missing_churn_date_is_an_error_not_zero(sample_frames: dict[str, pd.DataFrame]
                                                  ) -> None:
    customers = sample_frames["customers"].drop(columns="churn_date")
    with pytest.raises(rm.MissingColumnError, match="no 'churn_date' column"):
        rm.churn_rate(customers, "2025-09-01", "2025-10-01")


def test_missing_complaint_flag_is_an_error_not_zero(sample_frames: dict[str, pd.DataFrame]
                                                     ) -> None:
    tickets = sample_frames["tickets"].drop(columns="is_complaint")
    with pytest.raises(rm.MissingColumnError, match="no 'is_complaint' column"):
        rm.complaint_rate(tickets, sample_frames["customers"], "2025-09-01", "2025-10-01")


def test_point_metrics_take_the_column_mapping(sample_frames: dict[str, pd.DataFrame]) -> None:
    customers = sample_frames["customers"].rename(columns={"churn_date": "left_on"})
    mapped = rm.churn_rate(customers, "2025-09-01", "2025-10-01",
                           columns={"left_on": "churn_date"})
    plain = rm.churn_rate(sample_frames["customers"], "2025-09-01", "2025-10-01")
    assert mapped == pytest.approx(plain, rel=1e-12)


def test_handling_time_takes_the_columns_mapping() -> None:
    t = pd.DataFrame({"номер": [1, 2, 3], "клиент": [1, 1, 2],
                      "создано": ["2025-01-01 00:00:00"] * 3,
                      "первый ответ": ["2025-01-01 00:30:00"] * 3,
                      "решено": ["2025-01-01 01:00:00", "2025-01-01 03:00:00", None]})
    mapping = {"номер": "ticket_id", "клиент": "customer_id", "создано": "created_at",
               "первый ответ": "first_response_at", "решено": "resolved_at"}
    assert rm.handling_time(t, columns=mapping) == 2.0
    assert rm.handling_time(t, measure="first_response", columns={"tickets": mapping}) == 0.5
    with pytest.raises(rm.DataValidationError, match="tickets has no column 'решен' "
                       r"\(did you mean 'решено'\?\)"):
        rm.handling_time(t, columns={"tickets": {**mapping, "решен": "resolved_at"}})
    with pytest.raises(rm.DataValidationError, match="measure must be"):
        rm.handling_time(t, measure="waiting", columns=mapping)
