"""The sample report's kept copy of the validated sample: the same rows, quality table,
fingerprint and results as validating the bundled CSV files again."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import rollout_metrics as rm
from rollout_metrics.load import dataset
from rollout_metrics.load.dataset import CACHE_ENV, load_dataset, sample_path

ROLLOUT = rm.Rollout("2025-09-01", announced="2025-08-11")


def test_kept_sample_equals_a_fresh_validation(monkeypatch: pytest.MonkeyPatch,
                                               tmp_path: Path) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    first = rm.load_sample()  # validates and keeps a copy
    assert len(list(tmp_path.glob("sample-*/meta.json"))) == 1
    kept = rm.load_sample()  # reads the copy
    fresh = load_dataset(sample_path())
    for data in (first, kept):
        assert data.fingerprint() == fresh.fingerprint()
        assert data.quality.equals(fresh.quality)
        assert data.quality.dtypes.equals(fresh.quality.dtypes)
        assert data.rows.equals(fresh.rows)
        assert data.time_ranges == fresh.time_ranges
        for t in ("customers", "surveys", "tickets", "orders"):
            assert data.table(t).collect_schema() == fresh.table(t).collect_schema()
            assert data.table(t).collect().to_pandas().equals(
                fresh.table(t).collect().to_pandas())
    # to rounding: DuckDB adds the revenue amounts in a thread-dependent order
    pd.testing.assert_frame_equal(rm.compare(kept, ROLLOUT, by="tier"),
                                  rm.compare(fresh, ROLLOUT, by="tier"),
                                  check_exact=False, rtol=1e-12, atol=1e-12)


def test_a_changed_sample_or_rule_is_another_copy(monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Path) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    folder = dataset._sample_cache_folder()
    assert folder is not None and folder.parent == tmp_path
    assert dataset._sample_cache_folder() == folder  # stable key
    monkeypatch.setenv(CACHE_ENV, "off")
    assert dataset._sample_cache_folder() is None
    assert rm.load_sample().rows["rows_used"].tolist() == [5000, 31849, 40444, 24305]


def test_an_unwritable_cache_still_loads(monkeypatch: pytest.MonkeyPatch,
                                         tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(CACHE_ENV, str(blocker / "cache"))
    assert rm.load_sample().rows["rows_used"].tolist() == [5000, 31849, 40444, 24305]
    assert blocker.read_text() == "not a folder"
