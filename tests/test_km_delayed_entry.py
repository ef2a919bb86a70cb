"""Kaplan-Meier with delayed entry: infer.survival and the churn curve against R survfit.

The customers below are the ones in ``tests/r/km_delayed_entry.R``: days from the start of
a 10-day window, sign-up day (negative: before the window) and churn day (``None``: never).
A customer is at risk on day t when they signed up on or before t and had not churned
before t, so the day's churners are in that day's risk set.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rollout_metrics as rm
from rollout_metrics.errors import DataValidationError
from rollout_metrics.infer.survival import kaplan_meier
from rollout_metrics.plots import churn_survival

N_DAYS = 10
WINDOW_START = dt.date(2025, 3, 1)
# `before` is [2025-03-01, 2025-03-11): the 10-day window of the R script.
ROLLOUT = rm.Rollout("2025-03-11", pre_days=N_DAYS, post_days=N_DAYS)

# Printed by `Rscript tests/r/km_delayed_entry.R` (R 4.2.2 Patched (2022-11-10 r83330),
# survival 3.5.3): summary(survfit(Surv(entry, exit, event) ~ 1, data = d,
# conf.type = "log-log"), censored = TRUE), entry = max(signup, 0) - 1, exit = churn day,
# or day 9 (censored) for customers still there at the end of the window.
KM_CASES: dict[str, dict[str, Any]] = {
    "km_tied_churn_survfit": {
        "source": 'R 4.2.2, survival 3.5.3: survfit(Surv(entry, exit, event) ~ 1, '
        'conf.type = "log-log"), tests/r/km_delayed_entry.R',
        "inputs": {"signup": (-30, -30, -30, -30), "churn": (3, 3, 3, None)},
        "expected": {
            "time": (3, 9),
            "n.risk": (4, 1),
            "n.event": (3, 0),
            "n.censor": (0, 1),
            "surv": (0.25, 0.25),
            "lower": (0.00894782441660317, 0.00894782441660317),
            "upper": (0.665325342788865, 0.665325342788865),
        },
        "tolerance": {"abs": 1e-6},
    },
    "km_delayed_entry_survfit": {
        "source": 'R 4.2.2, survival 3.5.3: survfit(Surv(entry, exit, event) ~ 1, '
        'conf.type = "log-log"), tests/r/km_delayed_entry.R',
        "inputs": {
            "signup": (-30, -30, -30, -30, -30, -10, 1, 2, 3, 4, 6),
            "churn": (2, 2, 5, None, 9, 12, 2, 2, 5, None, 8),
        },
        "expected": {
            "time": (2, 5, 8, 9),
            "n.risk": (8, 6, 5, 4),
            "n.event": (4, 2, 1, 1),
            "n.censor": (0, 0, 0, 3),
            "surv": (0.5, 0.333333333333333, 0.266666666666667, 0.2),
            "lower": (0.152035890299024, 0.0837252384162369, 0.060296950803562,
                      0.0376443360116861),
            "upper": (0.774865012066889, 0.614693925563667, 0.536837541980711,
                      0.453923972091527),
        },
        "tolerance": {"abs": 1e-6},
    },
}
IDS = list(KM_CASES)


def _per_day(signup: tuple[int, ...], churn: tuple[int | None, ...]) -> pd.DataFrame:
    """The per-day table of the window: sign-ups (entered), churns and end-of-window censorings."""
    enter = np.maximum(np.asarray(signup), 0)
    churned = np.array([c is not None and c < N_DAYS for c in churn])
    exit_ = np.array([c if hit else N_DAYS - 1 for c, hit in zip(churn, churned, strict=True)])
    count = lambda days: np.bincount(days, minlength=N_DAYS)  # noqa: E731
    return pd.DataFrame({
        "day": np.arange(N_DAYS), "entered": count(enter), "churned": count(exit_[churned]),
        "censored": count(exit_[~churned]),
    })


def _customers(signup: tuple[int, ...], churn: tuple[int | None, ...]) -> pd.DataFrame:
    day = lambda k: (WINDOW_START + dt.timedelta(days=k)).isoformat()  # noqa: E731
    return pd.DataFrame({
        "customer_id": range(1, len(signup) + 1),
        "signup_date": [day(s) for s in signup],
        "churn_date": [None if c is None else day(c) for c in churn],
    })


def _check(got: pd.DataFrame, case: dict[str, Any], at_risk: str, events: str) -> None:
    want, tol = case["expected"], case["tolerance"]["abs"]
    rows = got.set_index("day").loc[list(want["time"])]
    assert rows[at_risk].tolist() == list(want["n.risk"])
    assert rows[events].tolist() == list(want["n.event"])
    for ours, theirs in (("survival", "surv"), ("ci_low", "lower"), ("ci_high", "upper")):
        assert rows[ours].to_numpy() == pytest.approx(want[theirs], abs=tol), ours
    # Between R's rows the curve is flat; before the first churn it is 1 with band (1, 1).
    first = want["time"][0]
    early = got[got["day"] < first]
    assert (early[["survival", "ci_low", "ci_high"]] == 1.0).all().all()
    steps = got.set_index("day")["survival"]
    for t0, t1 in zip(want["time"], [*want["time"][1:], N_DAYS], strict=True):
        assert (steps.loc[t0:t1 - 1] == steps.loc[t0]).all()


@pytest.mark.parametrize("case_id", IDS)
def test_kaplan_meier_delayed_entry_matches_survfit(case_id: str) -> None:
    case = KM_CASES[case_id]
    table = _per_day(**case["inputs"])
    km = kaplan_meier(table["day"], table["churned"], table["censored"],
                      entered_at=table["entered"])
    _check(km.rename(columns={"time": "day"}), case, "at_risk", "events")
    assert km["censored"].to_numpy()[list(case["expected"]["time"])].tolist() == list(
        case["expected"]["n.censor"])


def test_kaplan_meier_tied_churn_without_entry_times() -> None:
    # Everybody at risk from the start: the classic call gives the same curve.
    case = KM_CASES["km_tied_churn_survfit"]
    table = _per_day(**case["inputs"])
    km = kaplan_meier(table["day"], table["churned"], table["censored"])
    _check(km.rename(columns={"time": "day"}), case, "at_risk", "events")


@pytest.mark.parametrize("case_id", IDS)
def test_churn_survival_matches_survfit(case_id: str) -> None:
    case = KM_CASES[case_id]
    data = rm.load_dataset({"customers": _customers(**case["inputs"])})
    km = churn_survival(data, ROLLOUT)
    before = km[km["period"] == "before"]
    assert before["day"].tolist() == list(range(N_DAYS))
    _check(before, case, "at_risk", "churned")
    # The per-day risk set is the rule's: signed up on or before d, not churned before d.
    table = _per_day(**case["inputs"])
    left_before = np.concatenate([[0], np.cumsum(table["churned"] + table["censored"])[:-1]])
    assert before["at_risk"].tolist() == (np.cumsum(table["entered"]) - left_before).tolist()


def test_churn_survival_sign_up_and_churn_on_one_day() -> None:
    # Two customers from before the window; one signs up on day 4 and churns that day.
    data = rm.load_dataset({"customers": _customers((-5, -5, 4), (None, None, 4))})
    before = churn_survival(data, ROLLOUT).query("period == 'before'").set_index("day")
    assert before.loc[4, ["at_risk", "churned"]].tolist() == [3, 1]
    assert before.loc[4, "survival"] == pytest.approx(2 / 3)


def test_churn_survival_window_without_customers() -> None:
    # Both customers are gone before `after` starts: that window has no rows.
    data = rm.load_dataset({"customers": _customers((-5, 2), (3, 6))})
    km = churn_survival(data, ROLLOUT)
    assert set(km["period"]) == {"before"}
    late = rm.load_dataset({"customers": _customers((40,), (None,))})
    assert churn_survival(late, ROLLOUT).empty

def test_entry_counts_must_add_up() -> None:
    with pytest.raises(DataValidationError, match="3 subjects entered but 2 left"):
        kaplan_meier([0, 1], [1, 0], [0, 1], entered_at=[2, 1])
    with pytest.raises(DataValidationError, match="at time 0 more subjects have left"):
        kaplan_meier([0, 1], [2, 0], [0, 1], entered_at=[1, 2])
    with pytest.raises(DataValidationError, match="entered counts must be non-negative whole"):
        kaplan_meier([0, 1], [1, 0], [0, 1], entered_at=[2.5, -0.5])
    with pytest.raises(DataValidationError, match="events, censored and entered need equal"):
        kaplan_meier([0, 1], [1, 0], [0, 1], entered_at=[2])


subjects = st.lists(
    st.tuples(st.integers(0, 8), st.integers(0, 5), st.booleans()), min_size=1, max_size=30
)


@settings(max_examples=200, deadline=None)
@given(subjects)
def test_survival_is_a_non_increasing_share(people: list[tuple[int, int, bool]]) -> None:
    # Each subject: entry time, time from entry to exit, and whether the exit is an event.
    entry = np.array([p[0] for p in people])
    leave = entry + np.array([p[1] for p in people])
    event = np.array([p[2] for p in people])
    n = int(leave.max()) + 1
    count = lambda days: np.bincount(days, minlength=n)  # noqa: E731
    km = kaplan_meier(np.arange(n), count(leave[event]), count(leave[~event]),
                      entered_at=count(entry))
    s = km["survival"].to_numpy()
    assert ((s >= 0.0) & (s <= 1.0)).all()
    assert (np.diff(s) <= 0.0).all()
    assert ((km["ci_low"] <= s) & (s <= km["ci_high"])).all()
    assert ((km["ci_low"] >= 0.0) & (km["ci_high"] <= 1.0)).all()
    # at risk at t: entered at or before t and not gone before t
    t = np.arange(n)[:, None]
    assert km["at_risk"].tolist() == ((entry <= t) & (t <= leave)).sum(axis=1).tolist()


customers = st.lists(
    st.tuples(st.integers(-5, N_DAYS - 1), st.one_of(st.none(), st.integers(0, 12))),
    min_size=1, max_size=12,
)


@settings(max_examples=15, deadline=None)
@given(customers)
def test_churn_survival_risk_set_and_range(people: list[tuple[int, int | None]]) -> None:
    # Sign-up and churn days (churn never before sign-up); a few loads, each takes ~0.2 s.
    signup = tuple(s for s, _ in people)
    churn = tuple(None if c is None else max(c, s) for s, c in people)
    data = rm.load_dataset({"customers": _customers(signup, churn)})
    before = churn_survival(data, ROLLOUT).query("period == 'before'")
    s = before["survival"].to_numpy()
    assert ((s >= 0.0) & (s <= 1.0)).all()
    assert (np.diff(s) <= 0.0).all()
    t = np.arange(N_DAYS)[:, None]
    enter = np.maximum(np.array(signup), 0)
    leave = np.array([N_DAYS if c is None else c for c in churn])
    assert before["at_risk"].tolist() == ((enter <= t) & (t <= leave)).sum(axis=1).tolist()
