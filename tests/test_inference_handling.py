"""Welch t, rank tests and quantile differences on value counts (handling time, CSAT)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from reference_cases import CASES
from rollout_metrics.errors import DataValidationError, InsufficientDataError
from rollout_metrics.infer import ranks
from rollout_metrics.infer.ranks import brunner_munzel_counts, mann_whitney_counts, quantile_diff
from rollout_metrics.infer.two_sample import welch_diff
from rollout_metrics.stats.sufficient import Moments, ValueCounts


def test_welch_t_sleep() -> None:
    # R: t.test(extra ~ group, data = sleep) -> t = -1.8608, df = 17.776, p = 0.07939
    case = CASES["welch_t_sleep"]
    exp, tol = case["expected"], case["tolerance"]["abs"]
    x = ValueCounts.from_values(case["inputs"]["x"]).moments()
    y = ValueCounts.from_values(case["inputs"]["y"]).moments()
    r = welch_diff(y, x)  # x (group 1) is "after": t = (mean_x - mean_y) / se
    assert r.statistic == pytest.approx(exp["t"], abs=tol)
    assert r.extra["df"] == pytest.approx(exp["df"], abs=tol)
    assert r.p_value == pytest.approx(exp["p"], abs=tol)
    assert (r.ci_low, r.ci_high) == pytest.approx(exp["ci"], abs=tol)
    assert (r.after, r.before) == pytest.approx((exp["mean_x"], exp["mean_y"]), abs=1e-12)


def test_welch_errors() -> None:
    with pytest.raises(InsufficientDataError, match="before needs at least 2 observations"):
        welch_diff(Moments(1, 1.0, 1.0), Moments(3, 3.0, 5.0))
    with pytest.raises(DataValidationError, match="after moments must be finite"):
        welch_diff(Moments(3, 3.0, 5.0), Moments(3, float("nan"), 5.0))


def test_mwu_ties_R_small() -> None:
    # R: wilcox.test(x, y, exact = FALSE) with x = 1:4, y = 1:5 (scipy test_tie_correct)
    case = CASES["mwu_ties_R_small"]
    x = ValueCounts.from_values(case["inputs"]["x"])
    y = ValueCounts.from_values(case["inputs"]["y"])
    r = mann_whitney_counts(y, x)
    assert r.statistic == case["expected"]["U_x"]
    assert r.p_value == pytest.approx(case["expected"]["p_two_sided"], abs=1e-12)
    assert r.extra["var_u"] == pytest.approx(case["expected"]["var_U_tie_corrected"], abs=1e-9)
    assert r.prob_superiority == pytest.approx(8 / 20)


def test_mwu_permeability_R_doc() -> None:
    # R: wilcox.test(x, y, exact = FALSE, correct = TRUE / FALSE) on ?wilcox.test data
    case = CASES["mwu_permeability_R_doc"]
    x = ValueCounts.from_values(case["inputs"]["x"])
    y = ValueCounts.from_values(case["inputs"]["y"])
    cc = mann_whitney_counts(y, x)
    nocc = mann_whitney_counts(y, x, use_continuity=False)
    tol = case["tolerance"]["p_abs"]
    assert cc.statistic == case["expected"]["U_x"]
    assert cc.p_value == pytest.approx(case["expected"]["p_asymptotic_cc"], abs=tol)
    assert nocc.p_value == pytest.approx(case["expected"]["p_asymptotic_nocc"], abs=tol)


def test_brunner_munzel_ordinal_counts() -> None:
    # R: lawstat::brunner.munzel.test(xn, xa); scipy.stats.brunnermunzel(new, active)
    case = CASES["brunner_munzel_ordinal_counts"]
    i, exp, tol = case["inputs"], case["expected"], case["tolerance"]
    new = ValueCounts.from_pairs(i["levels"], i["counts_new"])
    active = ValueCounts.from_pairs(i["levels"], i["counts_active"])
    r = brunner_munzel_counts(new, active)
    assert r.statistic == pytest.approx(exp["statistic"], abs=tol["statistic"])
    assert r.extra["df"] == pytest.approx(exp["df"], abs=tol["df"])
    assert r.p_value == pytest.approx(exp["p"], abs=tol["p"])
    assert r.prob_superiority == pytest.approx(
        exp["prob_active_gt_new_plus_half_ties"], abs=tol["prob"]
    )
    assert r.extra["prob_ci_low"] < r.prob_superiority < r.extra["prob_ci_high"]


def test_brunner_munzel_degenerate() -> None:
    same = ValueCounts.from_pairs([3], [5])
    r = brunner_munzel_counts(same, same)
    assert (r.p_value, r.prob_superiority) == (1.0, 0.5)
    apart = brunner_munzel_counts(
        ValueCounts.from_pairs([1], [5]), ValueCounts.from_pairs([2], [5])
    )
    assert (apart.p_value, apart.prob_superiority) == (0.0, 1.0)


def test_mwu_all_tied_gives_p_one() -> None:
    r = mann_whitney_counts(ValueCounts.from_pairs([2.0], [4]), ValueCounts.from_pairs([2.0], [7]))
    assert r.p_value == 1.0


def test_rank_errors() -> None:
    empty = ValueCounts((), ())
    ok = ValueCounts.from_values([1, 2, 3])
    with pytest.raises(InsufficientDataError, match="before is empty"):
        mann_whitney_counts(empty, ok)
    with pytest.raises(DataValidationError, match="after has negative counts"):
        mann_whitney_counts(ok, ValueCounts((1.0, 2.0), (3, -1)))
    with pytest.raises(InsufficientDataError, match="at least 2 observations per period"):
        brunner_munzel_counts(ValueCounts.from_values([1]), ok)
    with pytest.raises(DataValidationError, match="q must be in"):
        quantile_diff(ok, ok, q=1.5)
    with pytest.raises(DataValidationError, match="n_resamples must be an integer >= 100"):
        quantile_diff(ok, ok, n_resamples=10)


def test_quantile_diff_estimate_and_determinism() -> None:
    rng = np.random.default_rng(7)
    b = np.round(rng.lognormal(3.0, 0.8, 400))
    a = np.round(rng.lognormal(3.2, 0.8, 300))
    vb, va = ValueCounts.from_values(b), ValueCounts.from_values(a)
    r = quantile_diff(vb, va, q=0.9, seed=3)
    assert r.estimate == pytest.approx(np.quantile(a, 0.9) - np.quantile(b, 0.9), abs=1e-12)
    assert r.method == "quantile_0.9_bootstrap"
    # Mann-Whitney stays available as the distribution-shift test, not the row's p-value
    assert r.extra["mann_whitney_p"] == pytest.approx(
        stats.mannwhitneyu(a, b, method="asymptotic").pvalue, abs=1e-12
    )
    assert r.ci_low <= r.estimate <= r.ci_high
    assert r.extra["se"] > 0 and r.extra["boot_sd"] > 0
    assert quantile_diff(vb, va, q=0.9, seed=3) == r
    assert quantile_diff(vb, va, q=0.9, seed=4) != r


def test_quantile_bootstrap_matches_row_resampling() -> None:
    # multinomial resampling of counts has the law of resampling rows: compare SDs
    rng = np.random.default_rng(11)
    x = np.round(rng.lognormal(3.0, 0.6, 300))
    v, c = ValueCounts.from_values(x).arrays()
    boot = ranks._bootstrap_quantiles(v, c, 0.5, 4000, np.random.default_rng(1))
    rows = np.median(rng.choice(x, size=(4000, x.size)), axis=1)
    assert np.std(boot) == pytest.approx(np.std(rows), rel=0.1)
    assert np.mean(boot) == pytest.approx(np.mean(rows), abs=0.5)


def test_quantile_bootstrap_large_value_sets() -> None:
    # 20,000 distinct values: the order-statistic sampler costs O(1) per resample.
    values = np.arange(20_000, dtype=float)
    counts = np.random.default_rng(2).integers(1, 5, 20_000)
    big = ValueCounts(tuple(values.tolist()), tuple(int(c) for c in counts))
    r = quantile_diff(big, big, n_resamples=2000, seed=1)
    assert r.estimate == 0.0
    assert r.ci_low <= 0.0 <= r.ci_high


def test_interpolated_quantile_bootstrap_matches_row_resampling() -> None:
    # q = 0.9 with n - 1 not a multiple of 10: two adjacent order statistics interpolated.
    rng = np.random.default_rng(5)
    x = np.round(rng.lognormal(3.0, 0.6, 257))
    v, c = ValueCounts.from_values(x).arrays()
    boot = ranks._bootstrap_quantiles(v, c, 0.9, 20000, np.random.default_rng(1))
    rows = np.quantile(rng.choice(x, size=(20000, x.size)), 0.9, axis=1)
    assert np.std(boot) == pytest.approx(np.std(rows), rel=0.05)
    assert np.mean(boot) == pytest.approx(np.mean(rows), abs=0.3)
    np.testing.assert_allclose(np.quantile(boot, [0.025, 0.975]),
                               np.quantile(rows, [0.025, 0.975]), rtol=0.03)


def _boot(b: ValueCounts, a: ValueCounts, q: float, n: int, seed: int) -> np.ndarray:
    """The bootstrap differences quantile_diff draws (its two streams, as it assigns them)."""
    streams = np.random.SeedSequence(seed).spawn(2)
    (vb, cb), (va, ca) = b.arrays(), a.arrays()
    if (vb.tobytes(), cb.tobytes()) > (va.tobytes(), ca.tobytes()):
        streams.reverse()
    return (ranks._bootstrap_quantiles(va, ca, q, n, np.random.default_rng(streams[1]))
            - ranks._bootstrap_quantiles(vb, cb, q, n, np.random.default_rng(streams[0])))


@pytest.mark.parametrize("q", [0.5, 0.9])
def test_quantile_p_inverts_the_bootstrap_interval(q: float) -> None:
    # p is the smallest alpha whose percentile interval excludes 0: about twice the share of
    # bootstrap differences on the far side of 0, and p < alpha exactly when the interval at
    # alpha excludes 0, at every alpha.
    rng = np.random.default_rng(23)
    b = ValueCounts.from_values(np.round(rng.lognormal(3.0, 0.8, 300)))
    a = ValueCounts.from_values(np.round(rng.lognormal(3.05, 0.8, 300)))
    r = quantile_diff(b, a, q=q, n_resamples=4000, seed=2)
    assert 0.001 < r.p_value < 0.5
    boot = _boot(b, a, q, 4000, 2)
    far = np.mean(boot <= 0) if r.estimate > 0 else np.mean(boot >= 0)
    assert r.p_value == pytest.approx(2 * far, abs=2 / 4000)
    for alpha in (0.001, 0.01, 0.05, 0.1, 0.2, 0.5, r.p_value * 0.999, r.p_value * 1.001):
        s = quantile_diff(b, a, q=q, n_resamples=4000, seed=2, alpha=alpha)
        assert s.p_value == r.p_value
        assert (s.p_value < alpha) == (s.ci_low > 0 or s.ci_high < 0), alpha


def test_quantile_p_floor_and_zero_estimate() -> None:
    far_apart = quantile_diff(ValueCounts.from_values(range(100)),
                              ValueCounts.from_values(range(1000, 1100)), n_resamples=999)
    assert far_apart.p_value == 1 / 1000 == far_apart.extra["p_floor"]
    same = ValueCounts.from_values([1, 2, 3, 4, 5, 6])
    assert quantile_diff(same, same, n_resamples=200).p_value == 1.0
    with pytest.raises(DataValidationError, match="n_resamples must be at least 2/alpha = 2000"):
        quantile_diff(same, same, n_resamples=1000, alpha=0.001)


def test_quantile_swap_flips_interval_and_keeps_p() -> None:
    rng = np.random.default_rng(8)
    b = ValueCounts.from_values(np.round(rng.lognormal(3.0, 0.8, 200)))
    a = ValueCounts.from_values(np.round(rng.lognormal(3.2, 0.8, 250)))
    r, s = quantile_diff(b, a, seed=4), quantile_diff(a, b, seed=4)
    assert s.p_value == r.p_value
    assert (s.ci_low, s.ci_high) == pytest.approx((-r.ci_high, -r.ci_low), abs=1e-12)
