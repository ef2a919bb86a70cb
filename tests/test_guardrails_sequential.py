"""Guardrails in monitoring mode: a breach needs the sequential limit beyond the margin."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rollout_metrics.errors import ConfigError
from rollout_metrics.infer.sequential import design, information_fraction, sequential_table
from rollout_metrics.report.guardrails import evaluate_guardrails

SHARES = [1 / 8, 2 / 8, 3 / 8, 4 / 8]
TIMES = information_fraction(SHARES).tolist()


def _results() -> pd.DataFrame:
    # se 1 on every row: p from z = delta / 1
    from scipy import stats

    delta = np.array([-9.0, -6.0, -2.0, 1.0])
    frame = pd.DataFrame({
        "metric": "nps", "by": "tier", "segment": ["overall", "VIP", "regular", "new"],
        "comparison": "after_vs_before", "before": 40.0, "after": 40.0 + delta,
        "delta": delta, "delta_rel": delta / 40.0,
        "ci_low": delta - 1.96, "ci_high": delta + 1.96,
        "p_value": 2 * stats.norm.sf(np.abs(delta)), "status": "ok",
    })
    frame["p_adjusted"] = frame["p_value"]
    frame["significant"] = frame["p_value"] < 0.05
    return sequential_table(frame, SHARES, correction="none")


def test_margin_breach_needs_the_one_sided_limit_beyond_the_threshold() -> None:
    t = evaluate_guardrails(_results(), ["nps.delta < -5", "nps[VIP].delta < -5",
                                         "nps[regular].delta < -5"], times=TIMES)
    c = design(TIMES, 0.05, sides=1).bounds[-1]
    assert t["rule"].tolist() == ["margin"] * 3
    np.testing.assert_allclose(t["limit"], [-9 + c, -6 + c, -2 + c])
    assert -9 + c < -5 < -6 + c  # so:
    assert t["outcome"].tolist() == ["breached", "met, not beyond the margin", "not met"]
    assert t["breached"].tolist() == [True, False, False]


def test_fixed_mode_is_unchanged() -> None:
    t = evaluate_guardrails(_results(), ["nps[VIP].delta < -5"])
    assert t["rule"].tolist() == ["fixed"] and t["outcome"].tolist() == ["breached"]
    assert np.isnan(t["limit"]).all()


def test_a_guardrail_over_many_rows_shares_alpha() -> None:
    t = evaluate_guardrails(_results(), ["nps[*].delta > -20"], times=TIMES)
    c4 = design(TIMES, 0.05 / 4, sides=1).bounds[-1]
    np.testing.assert_allclose(t["limit"], _results()["delta"] - c4)


def test_relative_and_other_fields() -> None:
    r = _results()
    t = evaluate_guardrails(r, ["nps.delta_rel < -0.1", "nps.p_value < 0.5"], times=TIMES)
    c = design(TIMES, 0.05, sides=1).bounds[-1]
    assert t.loc[0, "limit"] == pytest.approx((-9 + c) / 40)
    assert t.loc[1, "rule"] == "sequential"
    assert t.loc[1, "breached"] == bool(r.loc[0, "seq_significant"])


def test_unknown_names_still_fail() -> None:
    with pytest.raises(ConfigError, match="unknown segment"):
        evaluate_guardrails(_results(), ["nps[Moscow].delta < -5"], times=TIMES)
