"""p-value adjustment against R multtest (cases.json multipletests_R_multtest_p3), and the
one finishing step of every result table (``finish_family``, as ``compare`` does it)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import rollout_metrics as rm
from reference_cases import CASES
from rollout_metrics.comparison import finish as compare_finish
from rollout_metrics.errors import DataValidationError, MissingColumnError
from rollout_metrics.infer.multiple import adjust_pvalues, finish_family

CASE = CASES["multipletests_R_multtest_p3"]
RAW = CASE["inputs"]["pvalues"]


@pytest.mark.parametrize(("method", "key"), [("holm", "holm"), ("fdr_bh", "bh"), ("by", "by")])
def test_multipletests_R_multtest_p3(method: str, key: str) -> None:
    # R multtest::mt.rawp2adjp(rawp, c("Holm", "BH", "BY")) via statsmodels res_multtest3
    got = adjust_pvalues(RAW, method)
    assert got == pytest.approx(CASE["expected"][key], abs=CASE["tolerance"]["abs"])


def test_bh_rejections_multtest_p3() -> None:
    reject = adjust_pvalues(RAW, "fdr_bh") <= 0.05
    assert reject.tolist() == list(CASE["expected"]["bh_reject_at_0_05"])


def test_nan_rows_are_not_in_the_family() -> None:
    shuffled = np.array(RAW)[::-1]
    with_nan = np.insert(shuffled, [2, 5], np.nan)
    got = adjust_pvalues(with_nan, "holm")
    assert np.isnan(got[[2, 6]]).all()
    assert got[~np.isnan(with_nan)] == pytest.approx(adjust_pvalues(shuffled, "holm"))
    assert np.isnan(adjust_pvalues([np.nan, np.nan])).all()
    assert adjust_pvalues([], "fdr_bh").size == 0


def test_none_and_order() -> None:
    p = [0.04, 0.01, 0.03]
    assert adjust_pvalues(p, "none").tolist() == p
    assert adjust_pvalues(p, "fdr_bh").tolist() == pytest.approx([0.04, 0.03, 0.04])


def test_adjust_errors() -> None:
    with pytest.raises(DataValidationError, match="unknown p-value adjustment 'bonf'"):
        adjust_pvalues([0.1], "bonf")
    with pytest.raises(DataValidationError, match=r"must lie in \[0, 1\]; 1 do not"):
        adjust_pvalues([0.1, 1.2])
    with pytest.raises(DataValidationError, match="one-dimensional"):
        adjust_pvalues([[0.1, 0.2]])
    with pytest.raises(DataValidationError, match="p-values must be numbers"):
        adjust_pvalues(["a"])


@pytest.mark.parametrize("correction", ["fdr_bh", "holm", "by", "none"])
def test_finish_family_reproduces_compare(sample: rm.Dataset, correction: str) -> None:
    # compare's own finishing step on its rows, against finish_family on the same rows;
    # min_n leaves the small segments untested (NaN p-values, <NA> significant).
    rollout = rm.Rollout("2025-09-01", announced="2025-08-11")
    table = rm.compare(sample, rollout, metrics=["nps", "csat", "churn"], by="tier",
                       min_n=400, correction=correction)
    assert table["p_value"].isna().any() and table["p_value"].notna().any()
    rows = table.drop(columns=["p_adjusted", "significant"]).to_dict("records")
    expected = compare_finish(rows, ["tier"], 0.05, correction)
    got = finish_family(pd.DataFrame(rows), alpha=0.05, correction=correction)
    pd.testing.assert_frame_equal(got[expected.columns], expected)
    pd.testing.assert_frame_equal(expected, table)


def test_finish_family_keeps_its_input() -> None:
    frame = pd.DataFrame({"p_value": [0.2, np.nan], "x": [1, 2]})
    out = finish_family(frame, alpha=0.05, correction="holm")
    assert list(frame.columns) == ["p_value", "x"]
    assert list(out.columns) == ["p_value", "x", "p_adjusted", "significant"]
    assert out["significant"].tolist() == [False, pd.NA]
    with pytest.raises(MissingColumnError, match="'p_value' not found"):
        finish_family(pd.DataFrame({"p": [0.1]}), alpha=0.05, correction="none")
