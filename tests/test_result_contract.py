"""One result contract for compare, its_metric, did_metric, did and its.

Same columns in the same order (``term`` after ``comparison`` in the designs), the same
comparison labels, ``by`` and ``units`` filled where they are known, and ``p_adjusted`` /
``significant`` set by one rule: every tested row of a call is one family
(:func:`rollout_metrics.infer.multiple.finish_family`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import rollout_metrics as rm
from rollout_metrics.comparison import COLUMNS
from rollout_metrics.designs.did import did
from rollout_metrics.designs.its import its
from rollout_metrics.designs.on_metrics import DESIGN_COLUMNS, metric_series
from rollout_metrics.infer.multiple import finish_family

ROLLOUT = rm.Rollout("2025-09-01", announced="2025-08-11")
METRICS = ["nps", "churn"]
LABELS = {"after_vs_before", "transition_vs_before"}


@pytest.fixture(scope="module")
def tables(sample: rm.Dataset) -> dict[str, pd.DataFrame]:
    panel = metric_series(sample, ROLLOUT, "nps", by="region")
    regions = panel[panel["segment"] != "overall"]
    overall = panel[panel["segment"] == "overall"]
    return {
        "compare": rm.compare(sample, ROLLOUT, metrics=METRICS, by="tier", n_resamples=200),
        "its_metric": rm.its_metric(sample, ROLLOUT, METRICS, by="tier", freq="W").table,
        "did_metric": rm.did_metric(sample, ROLLOUT, METRICS, "tier", treated=["VIP"],
                                    freq="W").table,
        "did": did(regions, unit="region", treated=["North"], change_date="2025-09-01",
                   weights="weight").table,
        "its": its(overall, change_date="2025-09-01", announced="2025-08-11",
                   weights="weight").table,
    }


def _core(table: pd.DataFrame) -> list[str]:
    """The contract's columns: all up to ``units`` (segment columns follow it)."""
    columns = list(table.columns)
    return columns[: columns.index("units") + 1]


def test_same_columns_in_the_same_order(tables: dict[str, pd.DataFrame]) -> None:
    assert _core(tables["compare"]) == COLUMNS
    assert list(tables["compare"].columns) == [*COLUMNS, "tier"]
    for name in ("its_metric", "did_metric"):
        assert list(tables[name].columns) == [*DESIGN_COLUMNS, "tier"], name
    for name in ("did", "its"):
        assert list(tables[name].columns) == DESIGN_COLUMNS, name
    for name, table in tables.items():
        assert [c for c in _core(table) if c != "term"] == COLUMNS, name


def test_same_comparison_labels(tables: dict[str, pd.DataFrame]) -> None:
    for name, table in tables.items():
        assert set(table["comparison"]) <= LABELS, (name, set(table["comparison"]))
    # with an announcement, the naive test and the ITS both report the transition
    for name in ("compare", "its_metric", "its"):
        assert set(tables[name]["comparison"]) == LABELS, name
    # DiD leaves the transition window out
    for name in ("did_metric", "did"):
        assert set(tables[name]["comparison"]) == {"after_vs_before"}, name


def test_by_segment_and_units_filled(tables: dict[str, pd.DataFrame]) -> None:
    for name in ("compare", "its_metric", "did_metric"):
        t = tables[name]
        assert set(t["by"]) == {"tier"}, name
        assert (t["units"].str.len() > 0).all(), name
        assert set(t["metric"]) == set(METRICS), name
    # the units of the same metric agree across the three (effects in the metric's units)
    for metric in METRICS:
        naive = set(tables["compare"].loc[tables["compare"]["metric"] == metric, "units"])
        its_rows = tables["its_metric"]
        its_units = its_rows.loc[(its_rows["metric"] == metric)
                                 & (its_rows["term"] == "average_effect"), "units"]
        did_rows = tables["did_metric"]
        did_units = did_rows.loc[(did_rows["metric"] == metric)
                                 & (did_rows["term"] != "pre_trend"), "units"]
        assert naive == set(its_units) == set(did_units), metric
    did_t = tables["did_metric"]
    assert set(did_t["segment"]) == {"VIP"} and set(did_t["tier"]) == {"VIP"}
    assert set(tables["did"]["by"]) == {"region"}
    assert set(tables["did"]["segment"]) == {"North"}
    assert set(tables["its"]["by"]) == {""} and set(tables["its"]["segment"]) == {"overall"}


@pytest.mark.parametrize("name", ["compare", "its_metric", "did_metric", "did", "its"])
def test_one_family_rule(tables: dict[str, pd.DataFrame], name: str) -> None:
    table = tables[name]
    assert str(table["significant"].dtype) == "boolean"
    again = finish_family(table.drop(columns=["p_adjusted", "significant"]), alpha=0.05,
                          correction="fdr_bh")
    pd.testing.assert_series_equal(again["p_adjusted"], table["p_adjusted"])
    pd.testing.assert_series_equal(again["significant"], table["significant"])
    untested = table["p_value"].isna()
    assert table.loc[untested, "significant"].isna().all()
    assert np.all(table.loc[~untested, "p_adjusted"] >= table.loc[~untested, "p_value"] - 1e-15)


@pytest.mark.parametrize("correction", ["holm", "by", "none"])
def test_correction_is_the_same_option_everywhere(sample: rm.Dataset, correction: str) -> None:
    calls = {
        "compare": lambda: rm.compare(sample, ROLLOUT, metrics=["csat"], correction=correction),
        "its_metric": lambda: rm.its_metric(sample, ROLLOUT, "csat", correction=correction).table,
        "did_metric": lambda: rm.did_metric(sample, ROLLOUT, "csat", "tier", treated=["VIP"],
                                            freq="W", correction=correction).table,
    }
    for name, call in calls.items():
        table = call()
        expected = rm.adjust_pvalues(table["p_value"].to_numpy(float), correction)
        np.testing.assert_allclose(table["p_adjusted"].to_numpy(float), expected, err_msg=name)
