"""Properties every two-sample test must have (hypothesis).

Swapping before and after flips the sign of the estimate and keeps the p-value; merging
sufficient statistics equals computing on the union; the CI contains the estimate; p is in
[0, 1]; p < alpha exactly when the CI excludes 0 (one inference per result); a degenerate
result has no p-value.  Rank tests are checked against scipy on expanded, tie-heavy samples.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from rollout_metrics.infer.multiple import adjust_pvalues
from rollout_metrics.infer.ranks import brunner_munzel_counts, mann_whitney_counts, quantile_diff
from rollout_metrics.infer.rates import overdispersed_rate_test, poisson_rate_test
from rollout_metrics.infer.results import DiffResult
from rollout_metrics.infer.two_sample import nps_diff, proportion_diff, welch_diff
from rollout_metrics.stats.sufficient import EventExposure, NpsCounts, Proportion, ValueCounts

counts = st.integers(0, 400)
nps_counts = st.builds(NpsCounts, counts, counts, counts).filter(lambda c: c.n > 0)
proportions = st.integers(1, 500).flatmap(
    lambda n: st.builds(Proportion, st.integers(0, n), st.just(n))
)
small_values = st.lists(st.integers(0, 12), min_size=2, max_size=60)
events = st.builds(EventExposure, st.integers(0, 300), st.floats(1.0, 1e5))


def _agrees(r: DiffResult) -> None:
    """One inference: p < alpha exactly when the interval excludes 0 (and then has width)."""
    excludes = r.ci_low > 0.0 or r.ci_high < 0.0
    if r.p_value < r.alpha:
        assert excludes and r.ci_high > r.ci_low
    if excludes:
        assert r.p_value < r.alpha


def _check(r: DiffResult, swapped: DiffResult) -> None:
    assert r.estimate == pytest.approx(r.after - r.before, abs=1e-12)
    assert swapped.estimate == pytest.approx(-r.estimate, abs=1e-12)
    assert swapped.degenerate == r.degenerate
    if r.degenerate:  # no sampling variability: no p-value (tests/test_inference_degenerate.py)
        assert math.isnan(r.p_value) and math.isnan(swapped.p_value)
        return
    assert 0.0 <= r.p_value <= 1.0
    assert r.ci_low <= r.estimate <= r.ci_high
    assert swapped.p_value == pytest.approx(r.p_value, rel=1e-9, abs=1e-15)


@given(nps_counts, nps_counts, st.sampled_from(["adjusted_wald", "wald"]))
def test_nps_properties(b: NpsCounts, a: NpsCounts, method: str) -> None:
    r = nps_diff(b, a, method=method)  # type: ignore[arg-type]
    s = nps_diff(a, b, method=method)  # type: ignore[arg-type]
    _check(r, s)
    assert (s.ci_low, s.ci_high) == pytest.approx((-r.ci_high, -r.ci_low), abs=1e-12,
                                                  nan_ok=True)
    _agrees(r)


@given(nps_counts, nps_counts, nps_counts)
def test_nps_merging(b1: NpsCounts, b2: NpsCounts, a: NpsCounts) -> None:
    merged = NpsCounts(
        b1.promoters + b2.promoters, b1.passives + b2.passives, b1.detractors + b2.detractors
    )
    assert nps_diff(b1 + b2, a) == nps_diff(merged, a)


@given(proportions, proportions)
def test_proportion_properties(b: Proportion, a: Proportion) -> None:
    r, s = proportion_diff(b, a), proportion_diff(a, b)
    _check(r, s)
    assert (s.ci_low, s.ci_high) == pytest.approx((-r.ci_high, -r.ci_low), abs=1e-12)
    assert r.degenerate == (b.successes + a.successes in (0, b.n + a.n))
    _agrees(r)


@given(small_values, small_values, small_values)
def test_welch_properties_and_merging(b1: list[int], b2: list[int], a: list[int]) -> None:
    mb = ValueCounts.from_values(b1).moments() + ValueCounts.from_values(b2).moments()
    ma = ValueCounts.from_values(a).moments()
    r, s = welch_diff(mb, ma), welch_diff(ma, mb)
    _check(r, s)
    _agrees(r)
    assert r.degenerate == (len(set(a)) == 1 and len(set(b1 + b2)) == 1)
    union = welch_diff(ValueCounts.from_values(b1 + b2).moments(), ma)
    assert union.estimate == pytest.approx(r.estimate, abs=1e-9)
    assert union.p_value == pytest.approx(r.p_value, abs=1e-9, nan_ok=True)
    if len(set(a)) > 1 and len(set(b1 + b2)) > 1:  # scipy warns on a constant sample
        ref = stats.ttest_ind(a, b1 + b2, equal_var=False)
        assert r.p_value == pytest.approx(ref.pvalue, abs=1e-8)


@settings(max_examples=200)
@given(small_values, small_values, small_values, st.booleans())
def test_mann_whitney_matches_scipy(
    b1: list[int], b2: list[int], a: list[int], continuity: bool
) -> None:
    b = b1 + b2
    merged = ValueCounts.from_values(b1) + ValueCounts.from_values(b2)
    r = mann_whitney_counts(merged, ValueCounts.from_values(a), use_continuity=continuity)
    s = mann_whitney_counts(ValueCounts.from_values(a), merged, use_continuity=continuity)
    assert 0.0 <= r.p_value <= 1.0
    assert s.p_value == pytest.approx(r.p_value, abs=1e-12)
    assert s.prob_superiority == pytest.approx(1 - r.prob_superiority, abs=1e-12)
    if len(set(a + b)) > 1:
        ref = stats.mannwhitneyu(a, b, use_continuity=continuity, method="asymptotic")
        assert r.statistic == pytest.approx(float(ref.statistic), abs=1e-9)
        assert r.p_value == pytest.approx(float(ref.pvalue), abs=1e-12)


@given(small_values, small_values)
def test_brunner_munzel_matches_scipy(b: list[int], a: list[int]) -> None:
    r = brunner_munzel_counts(ValueCounts.from_values(b), ValueCounts.from_values(a))
    s = brunner_munzel_counts(ValueCounts.from_values(a), ValueCounts.from_values(b))
    assert 0.0 <= r.p_value <= 1.0
    assert s.p_value == pytest.approx(r.p_value, abs=1e-12)
    assert s.prob_superiority == pytest.approx(1 - r.prob_superiority, abs=1e-12)
    if math.isfinite(r.extra["df"]) and r.extra["df"] > 0:
        with np.errstate(all="ignore"):
            ref = stats.brunnermunzel(b, a)
        if np.isfinite(ref.statistic):
            assert r.statistic == pytest.approx(float(ref.statistic), rel=1e-9, abs=1e-9)
            assert r.p_value == pytest.approx(float(ref.pvalue), abs=1e-9)


@settings(max_examples=30, deadline=None)
@given(small_values, small_values, st.sampled_from([0.5, 0.9]))
def test_quantile_diff_properties(b: list[int], a: list[int], q: float) -> None:
    vb, va = ValueCounts.from_values(b), ValueCounts.from_values(a)
    r = quantile_diff(vb, va, q=q, n_resamples=200, seed=5)
    s = quantile_diff(va, vb, q=q, n_resamples=200, seed=5)
    _check(r, s)
    _agrees(r)
    if vb != va:  # the periods' streams follow their data: swapping negates the bootstrap
        assert (s.ci_low, s.ci_high) == pytest.approx((-r.ci_high, -r.ci_low), abs=1e-9,
                                                      nan_ok=True)
    assert r.degenerate == (len(set(a)) == 1 and len(set(b)) == 1)
    assert r.estimate == pytest.approx(np.quantile(a, q) - np.quantile(b, q), abs=1e-9)


@given(events, events)
def test_poisson_rate_properties(b: EventExposure, a: EventExposure) -> None:
    if b.events + a.events == 0:
        return
    r, s = poisson_rate_test(b, a), poisson_rate_test(a, b)
    _check(r, s)
    assert (r.before, r.after) == (b.events / b.exposure, a.events / a.exposure)
    _agrees(r)
    assert (s.ci_low, s.ci_high) == pytest.approx((-r.ci_high, -r.ci_low), rel=1e-9, abs=1e-15)
    merged = poisson_rate_test(b + EventExposure(0, 0.0), a)
    assert merged == r


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(14, 60))
def test_overdispersed_properties(seed: int, days: int) -> None:
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2024-03-01", periods=days, freq="D")
    half = days // 2
    frame = pd.DataFrame(
        {
            "date": dates,
            "events": rng.negative_binomial(3, 3 / (3 + 10), days) + 1,
            "exposure": rng.uniform(500, 1500, days),
            "period": ["before"] * half + ["after"] * (days - half),
        }
    )
    r = overdispersed_rate_test(frame)
    flipped = frame.assign(period=frame["period"].map({"before": "after", "after": "before"}))
    _check(r, overdispersed_rate_test(flipped))
    _agrees(r)
    # the observed rates, whatever the weekday mix of exposure
    after = frame["period"] == "after"
    assert r.after == pytest.approx(frame.events[after].sum() / frame.exposure[after].sum())
    assert r.before == pytest.approx(frame.events[~after].sum() / frame.exposure[~after].sum())


@given(st.lists(st.one_of(st.floats(0, 1), st.just(math.nan)), max_size=30))
def test_adjusted_pvalues_properties(p: list[float]) -> None:
    raw = np.array(p, dtype=float)
    for method in ("fdr_bh", "holm", "by"):
        adj = adjust_pvalues(raw, method)
        ok = ~np.isnan(raw)
        assert np.array_equal(np.isnan(adj), ~ok)
        assert np.all(adj[ok] >= raw[ok] - 1e-15) and np.all(adj[ok] <= 1.0)
        order = np.argsort(raw[ok], kind="stable")
        assert np.all(np.diff(adj[ok][order]) >= -1e-15)
