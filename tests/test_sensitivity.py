"""sensitivity(): the naive estimate over a grid of washout and window lengths."""

from __future__ import annotations

import pandas as pd
import pytest

import rollout_metrics as rm
from rollout_metrics.designs.sensitivity import SENSITIVITY_COLUMNS, sensitivity


@pytest.fixture(scope="module")
def data() -> rm.Dataset:
    return rm.load_sample()


def test_grid_and_default_row(data: rm.Dataset) -> None:
    r = rm.Rollout("2025-09-01", announced="2025-08-11")
    t = sensitivity(data, r, "csat", washout_days=[0, 7], pre_days=[28, 56])
    assert list(t.columns) == SENSITIVITY_COLUMNS
    assert len(t) == 1 + 2 * 2
    assert t["default"].tolist() == [True, False, False, False, False]
    # The default spec equals compare() on the rollout as given.
    ref = rm.compare(data, r, metrics=["csat"], correction="none").iloc[0]
    assert t.loc[0, "delta"] == pytest.approx(ref["delta"], rel=1e-12)
    same = t[(t.washout_days == 0) & (t.pre_days == 56) & ~t.default].iloc[0]
    assert same["delta"] == pytest.approx(ref["delta"], rel=1e-12)
    assert not t["sign_flip"].any() and t["stable"].all()
    # The CSAT trend: the longer the windows, the more negative the naive delta.
    grid = t[~t.default & (t.washout_days == 0)].set_index("pre_days")["delta"]
    assert grid[56] < grid[28] < 0


def test_sign_flip_is_flagged(data: rm.Dataset) -> None:
    t = sensitivity(data, rm.Rollout("2025-09-01"), "nps", by="tier",
                    washout_days=[0, 14, 28], pre_days=[28, 84])
    for _, seg in t.groupby("segment"):
        ref = seg[seg.default]["delta"].item()
        flips = (seg["delta"] * ref < 0).tolist()
        assert seg["sign_flip"].tolist() == flips
        assert seg["stable"].nunique() == 1 and seg["stable"].iloc[0] == (not any(flips))
    assert set(t["tier"].dropna()) == {"VIP", "new", "regular"}
    assert t[t.segment == "VIP"]["stable"].all()


def test_outside_data_rows_get_status(data: rm.Dataset) -> None:
    t = sensitivity(data, rm.Rollout("2025-11-01", post_days=28), "csat",
                    washout_days=[0, 70], pre_days=[28])
    assert t["status"].tolist()[-1] == "outside_data"
    assert pd.isna(t["delta"].iloc[-1]) and not t["sign_flip"].iloc[-1]


def test_default_outside_data_raises(data: rm.Dataset) -> None:
    with pytest.raises(rm.PeriodError, match="outside the data"):
        sensitivity(data, rm.Rollout("2026-06-01"), "csat")
