"""ITS on daily counts: the quasi-Poisson fit with Newey-West errors and fixed-b reference
(rollout_metrics.designs._hac), checked against R's sandwich package."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rollout_metrics.designs._hac import (
    _newey_west_columns,
    bartlett_lags,
    newey_west,
    quasipoisson_hac,
)
from rollout_metrics.designs.its import _design, its
from rollout_metrics.errors import DataValidationError

# 56 + 56 daily counts with a drifting log-rate, exposure 9000 + 25 t, first day a Monday:
# the series of tests/r/its_counts_hac.R.
COUNTS = np.array([
    4, 6, 16, 8, 5, 11, 23, 9, 16, 15, 14, 13, 13, 10, 9, 11, 17, 19, 16, 17, 17, 12, 13,
    11, 3, 9, 9, 6, 14, 9, 9, 10, 12, 11, 16, 19, 21, 12, 14, 13, 10, 7, 7, 7, 7, 13, 14,
    15, 11, 16, 5, 18, 7, 13, 17, 8, 20, 12, 20, 15, 10, 12, 12, 9, 16, 9, 5, 10, 7, 14,
    15, 11, 13, 13, 9, 14, 15, 15, 7, 11, 13, 19, 6, 15, 11, 15, 9, 4, 7, 13, 10, 14, 11,
    10, 6, 10, 16, 12, 10, 13, 17, 11, 8, 11, 14, 15, 7, 5, 10, 9, 16, 11,
], dtype=float)  # fmt: skip

# Printed by `Rscript tests/r/its_counts_hac.R` (R 4.2.2 Patched (2022-11-10 r83330),
# sandwich 3.0.2): glm(family = quasipoisson) and
# NeweyWest(fit, lag = 22, prewhite = FALSE, adjust = TRUE).
ITS_COUNTS_HAC_R = {
    "level_change": (0.0856897862, 0.0906250072),
    "slope_change": (-0.0033844552, 0.0026252475),
    "average_effect_log_ratio": (-0.0055550544, 0.1173290725),
    "dispersion": 1.459435739,
}


def _frame() -> pd.DataFrame:
    dates = pd.date_range("2024-01-01", periods=len(COUNTS), freq="D")
    return pd.DataFrame({"date": dates, "value": COUNTS,
                         "active": 9000 + 25 * np.arange(len(COUNTS))})


def test_newey_west_matches_r_sandwich() -> None:
    # R's glm estimates and NeweyWest SEs; R's SEs use the working weights of its last IRLS
    # step (glm stops at a deviance change of 1e-8), ours the converged fit: about 1e-6 apart.
    frame = _frame()
    x, names, _ = _design(frame["date"], "D", frame["date"].iloc[56], None)
    hac = quasipoisson_hac(COUNTS, x, np.log(frame["active"].to_numpy()))
    assert hac.lags == 22
    for term in ("level_change", "slope_change"):
        est, se = ITS_COUNTS_HAC_R[term]
        j = names.index(term)
        assert hac.fit.params[j] == pytest.approx(est, abs=1e-10)  # R prints 10 decimals
        assert hac.fit.bse[j] == pytest.approx(se, rel=1e-5)
    assert hac.fit.scale == pytest.approx(ITS_COUNTS_HAC_R["dispersion"], rel=1e-5)
    res = its(frame, exposure="active", change_date=frame["date"].iloc[56])
    ratio = res.model_info["average_effect_ratio"]
    est, se = ITS_COUNTS_HAC_R["average_effect_log_ratio"]
    assert np.log(ratio["ratio"]) == pytest.approx(est, rel=1e-6)
    assert ratio["se_log"] == pytest.approx(se, rel=1e-5)
    assert res.model_info["hac_lags"] == 22 and res.model_info["reference"] == "fixed_b"
    rows = res.table.set_index("term")
    assert (rows["method"] == "its_quasipoisson_hac").all()
    assert rows.loc["level_change", "delta"] == pytest.approx(
        ITS_COUNTS_HAC_R["level_change"][0], abs=1e-10)


def test_fixed_b_interval_and_p_value_are_one_inference() -> None:
    # The interval excludes 0 exactly when p < alpha, on every row, whatever the effect; the
    # fixed-b critical value is above the normal one (the HAC variance is noisy and biased
    # down by the fitted regressors), and a fit is reproducible (seeded draws).
    rng = np.random.default_rng(11)
    dates = pd.date_range("2024-01-01", periods=146, freq="D")
    post = np.asarray(dates >= dates[90])
    for ratio in (1.0, 1.1, 1.25, 1.5):
        counts = rng.poisson(rng.gamma(30, 12 * np.where(post, ratio, 1.0) / 30))
        frame = pd.DataFrame({"date": dates, "value": counts, "active": 1e4})
        res = its(frame, exposure="active", change_date=dates[90], announced=dates[80])
        t = res.table
        assert set(t["term"]) == {"average_effect", "transition_effect", "level_change",
                                  "slope_change"}
        excludes = (t["ci_low"] > 0) | (t["ci_high"] < 0)
        assert ((t["p_value"] < 0.05) == excludes).all(), t
        half = (t["ci_high"] - t["ci_low"]) / 2
        assert (t["mde"] > half).all()
        again = its(frame, exposure="active", change_date=dates[90], announced=dates[80])
        pd.testing.assert_frame_equal(t, again.table)
    lo, hi = res.series["ci_low"], res.series["ci_high"]
    assert (lo < res.series["counterfactual"]).all() and (res.series["counterfactual"] < hi).all()


def test_explicit_ar_order_keeps_the_ar_fit() -> None:
    frame = _frame()
    res = its(frame, exposure="active", change_date=frame["date"].iloc[56], ar_order=1)
    assert res.table["method"].eq("its_quasipoisson_ar1").all()
    assert res.model_info["reference"] == "t" and res.model_info["hac_lags"] is None
    plain = its(frame, exposure="active", change_date=frame["date"].iloc[56], ar_order=0)
    assert plain.table["method"].eq("its_quasipoisson").all()


def test_newey_west_window_form_equals_the_lag_sum() -> None:
    rng = np.random.default_rng(2)
    v = rng.normal(size=(40, 3))
    for lags in (0, 1, 5, 39, 60):
        by_lag = [newey_west(v[:, [i]], lags)[0, 0] for i in range(3)]
        assert np.allclose(_newey_west_columns(v, lags), by_lag)
    assert bartlett_lags(8) == 1


def test_too_few_resamples() -> None:
    frame = _frame()
    with pytest.raises(DataValidationError, match="n_resamples=10 is too few"):
        its(frame, exposure="active", change_date=frame["date"].iloc[56], n_resamples=10)
