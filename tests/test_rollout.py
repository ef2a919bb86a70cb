"""Rollout spec: one test per period-boundary rule."""

from __future__ import annotations

import datetime as dt

import narwhals as nw
import pandas as pd
import pytest

from rollout_metrics import PeriodError, Rollout


def T(s: str) -> dt.datetime:
    return dt.datetime.fromisoformat(s)


def test_change_date_belongs_to_after() -> None:
    r = Rollout("2025-09-01")
    assert r.period_of(T("2025-09-01 00:00:00")) == "after"
    assert r.period_of(T("2025-08-31 23:59:59.999999")) == "before"


def test_before_ends_at_announcement_and_transition_runs_to_change() -> None:
    r = Rollout("2025-09-01", announced="2025-08-11")
    assert r.period_of(T("2025-08-10 23:59:59")) == "before"
    assert r.period_of(T("2025-08-11 00:00:00")) == "transition"
    assert r.period_of(T("2025-08-31 23:59:59")) == "transition"
    assert r.period_of(T("2025-09-01 00:00:00")) == "after"


def test_window_lengths_default_to_whole_weeks() -> None:
    w = Rollout("2025-09-01", announced="2025-08-11").windows()
    assert (w["before"][1] - w["before"][0]).days == 56
    assert (w["after"][1] - w["after"][0]).days == 56
    # Same day-of-week mix: both windows start on the same weekday.
    assert (w["before"][0].weekday() - w["after"][0].weekday()) % 7 == 0


def test_window_edges_are_half_open() -> None:
    r = Rollout("2025-09-01", pre_days=7, post_days=7)
    assert r.period_of(T("2025-08-25 00:00:00")) == "before"
    assert r.period_of(T("2025-08-24 23:59:59")) is None
    assert r.period_of(T("2025-09-07 23:59:59")) == "after"
    assert r.period_of(T("2025-09-08 00:00:00")) is None


def test_washout_days_are_excluded_from_after() -> None:
    r = Rollout("2025-09-01", washout_days=7)
    assert r.period_of(T("2025-09-03 12:00:00")) is None
    assert r.period_of(T("2025-09-08 00:00:00")) == "after"
    start, end = r.windows()["after"]
    assert (start.date(), (end - start).days) == (dt.date(2025, 9, 8), 56)


def test_period_expr_matches_period_of() -> None:
    r = Rollout("2025-09-01", announced="2025-08-11")
    stamps = [T("2025-06-15 23:00:00"), T("2025-06-16 00:00:00"), T("2025-08-11 00:00:00"),
              T("2025-09-01 00:00:00"), T("2025-10-26 23:59:00"), T("2025-10-27 00:00:00")]
    frame = nw.from_native(pd.DataFrame({"t": stamps})).lazy()
    got = frame.select(r.period_expr("t").alias("p")).collect()["p"].to_list()
    assert [None if pd.isna(g) else g for g in got] == [r.period_of(s) for s in stamps]
    assert [r.period_of(s) for s in stamps] == [None, "before", "transition", "after", "after",
                                                None]


def test_announcement_after_change_is_rejected() -> None:
    with pytest.raises(PeriodError, match=r"announced \(2025-09-02\) must be before "
                       r"change_date \(2025-09-01\)"):
        Rollout("2025-09-01", announced="2025-09-02")
    with pytest.raises(PeriodError, match="must be before"):
        Rollout("2025-09-01", announced="2025-09-01")


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"pre_days": 0}, "pre_days must be a whole number >= 1, got 0"),
    ({"post_days": 2.5}, "post_days must be a whole number >= 1, got 2.5"),
    ({"washout_days": -1}, "washout_days must be a whole number >= 0, got -1"),
])
def test_invalid_window_lengths(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(PeriodError, match=message):
        Rollout("2025-09-01", **kwargs)  # type: ignore[arg-type]


def test_bad_dates() -> None:
    with pytest.raises(PeriodError, match="change_date must be a date like 2025-09-01, got '1/9'"):
        Rollout("1/9")
    with pytest.raises(PeriodError, match="must be a calendar date, got a time of day"):
        Rollout(dt.datetime(2025, 9, 1, 12))


def test_windows_outside_the_data_raise() -> None:
    r = Rollout("2025-09-01")
    with pytest.raises(PeriodError, match=r"the after window \[2025-09-01, 2025-10-27\) lies "
                       r"outside the data, which runs from 2025-01-01"):
        r.coverage(T("2025-01-01 00:00:00"), T("2025-08-20 00:00:00"))


def test_partly_covered_window_is_reported_not_shortened() -> None:
    r = Rollout("2025-09-01")
    notes = r.coverage(T("2025-07-20 00:00:00"), T("2025-12-31 00:00:00"))
    assert list(notes) == ["before"]
    assert "only partly covered" in notes["before"]
    assert (r.windows()["before"][1] - r.windows()["before"][0]).days == 56
    assert r.coverage(T("2025-01-01 00:00:00"), T("2025-12-31 00:00:00")) == {}


def test_per_segment_dates() -> None:
    r = Rollout.per_segment("region", {"North": "2025-09-01", "South": "2025-10-06"},
                            announced=None)
    assert r.change_date == dt.date(2025, 9, 1)
    assert r.for_segment("South").windows()["after"][0] == T("2025-10-06 00:00:00")
    with pytest.raises(PeriodError, match=r"segment 'East' has no change date; known: "
                       r"\['North', 'South'\]"):
        r.for_segment("East")
    assert "staggered by region" in r.describe()


def test_describe() -> None:
    assert Rollout("2025-09-01", announced="2025-08-11", washout_days=7).describe() == (
        "change 2025-09-01; announced 2025-08-11; before 56 d, after 56 d; washout 7 d; "
        "timezone UTC"
    )
