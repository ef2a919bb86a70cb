"""Kaplan-Meier and log-rank from per-time counts against the Gehan 6-MP data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reference_cases import CASES
from rollout_metrics.errors import DataValidationError, InsufficientDataError, MissingColumnError
from rollout_metrics.infer.survival import kaplan_meier, logrank_test, median_survival

KM = CASES["kaplan_meier_gehan_6mp"]


def _table(times: tuple[int, ...], events: tuple[int, ...]) -> pd.DataFrame:
    """Per-time event and censoring counts (the sufficient statistics) from subject rows."""
    rows = pd.DataFrame({"time": times, "event": events})
    return (
        rows.groupby("time")["event"]
        .agg(events="sum", censored=lambda s: int((s == 0).sum()))
        .reset_index()
    )


SIX_MP = _table(KM["inputs"]["time"], KM["inputs"]["event"])
PLACEBO = _table(CASES["logrank_gehan"]["inputs"]["placebo_time"], (1,) * 21)


def test_kaplan_meier_gehan_6mp() -> None:
    # Kleinbaum & Klein ch. 2 / R survfit(Surv(time, cens) ~ 1, data = gehan[6-MP]) / lifelines
    km = kaplan_meier(SIX_MP["time"], SIX_MP["events"], SIX_MP["censored"]).set_index("time")
    for t, s in KM["expected"]["S"].items():
        assert km.loc[t, "survival"] == pytest.approx(s, abs=KM["tolerance"]["S_abs"])
    assert km.loc[23, "survival"] == pytest.approx(0.448179272, abs=1e-9)  # lifelines
    assert median_survival(km.reset_index()) == KM["expected"]["median"]
    assert km.loc[6, "at_risk"] == 21 and km.loc[7, "at_risk"] == 17
    # R survfit(conf.type = "log-log") at t = 6: 0.620, 0.952
    assert (km.loc[6, "ci_low"], km.loc[6, "ci_high"]) == pytest.approx((0.620, 0.952), abs=5e-4)
    assert (km["ci_low"] <= km["survival"]).all() and (km["survival"] <= km["ci_high"]).all()


def test_logrank_gehan() -> None:
    # R: survival::survdiff(Surv(time, cens) ~ treat, data = MASS::gehan) -> Chisq = 16.8, p 4.17e-05
    case = CASES["logrank_gehan"]
    r = logrank_test(PLACEBO, SIX_MP)
    assert r.chi2 == pytest.approx(case["expected"]["chi2"], abs=case["tolerance"]["chi2_abs"])
    assert r.p_value == pytest.approx(case["expected"]["p"], abs=case["tolerance"]["p_abs"])
    assert r.chi2 == pytest.approx(16.792940989, abs=1e-8)  # lifelines logrank_test
    assert r.df == case["expected"]["df"]
    assert r.observed_after + r.observed_before == pytest.approx(
        r.expected_after + r.expected_before
    )
    swapped = logrank_test(SIX_MP, PLACEBO)
    assert swapped.chi2 == pytest.approx(r.chi2, rel=1e-12)


def test_tables_add() -> None:
    # splitting subjects into two tables and summing counts at equal times changes nothing
    half = SIX_MP.assign(events=SIX_MP["events"] // 2, censored=SIX_MP["censored"] // 2)
    rest = SIX_MP.assign(
        events=SIX_MP["events"] - half["events"], censored=SIX_MP["censored"] - half["censored"]
    )
    both = pd.concat([half, rest])
    a = kaplan_meier(both["time"], both["events"], both["censored"])
    b = kaplan_meier(SIX_MP["time"], SIX_MP["events"], SIX_MP["censored"])
    pd.testing.assert_frame_equal(a, b)


def test_survival_reaching_zero() -> None:
    km = kaplan_meier([1, 2], [1, 1], [0, 0])
    assert km["survival"].tolist() == [0.5, 0.0]
    assert np.isfinite(km[["ci_low", "ci_high"]].to_numpy()).all()
    assert median_survival(kaplan_meier([1, 2], [0, 0], [1, 1])) != median_survival(km)


def test_survival_errors() -> None:
    with pytest.raises(DataValidationError, match="need equal lengths"):
        kaplan_meier([1, 2], [1], [0, 0])
    with pytest.raises(DataValidationError, match="events counts must be non-negative whole"):
        kaplan_meier([1, 2], [1, -1], [0, 0])
    with pytest.raises(InsufficientDataError, match="has no subjects"):
        kaplan_meier([1], [0], [0])
    with pytest.raises(
        MissingColumnError, match=r"table_after is missing column\(s\) \['censored'\]"
    ):
        logrank_test(SIX_MP, PLACEBO.drop(columns="censored"))
    with pytest.raises(InsufficientDataError, match="log-rank variance is 0"):
        logrank_test(
            pd.DataFrame({"time": [1], "events": [0], "censored": [3]}),
            pd.DataFrame({"time": [2], "events": [2], "censored": [0]}),
        )
