"""The Russian helpdesk export through Spark gives the quality table and numbers of the same
data read from canonical files (the one Spark case of tests/test_read_exports.py).

The export's text columns go to Spark as text (``spark.read.csv`` without ``inferSchema``
does the same); the reading options (decimal comma, day-first dates, ИСТИНА/ЛОЖЬ) and the
column mapping are applied by rollout-metrics, as on every other engine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import rollout_metrics as rm
from export_fixtures import RU_COLUMNS, russian, write_canonical

pytestmark = pytest.mark.spark
ROLLOUT = rm.Rollout("2025-09-01")
METRICS = ["nps", "csat", "churn", "complaints", "handling_time"]


def _numbers(data: rm.Dataset) -> pd.DataFrame:
    cols = ["metric", "segment", "n_before", "n_after", "before", "after", "p_value"]
    return rm.compare(data, ROLLOUT, METRICS, by="tier", n_resamples=200)[cols].round(9)


def test_russian_export_through_spark(spark: Any, tmp_path: Path) -> None:
    canonical = rm.load_dataset(write_canonical(tmp_path / "canonical"))
    frames = {}
    for table, df in russian(("ИСТИНА", "ЛОЖЬ")).items():
        schema = ", ".join(f"`{c}` STRING" for c in df.columns)
        frames[table] = spark.createDataFrame(df.astype(object).where(df != "", None)
                                              .values.tolist(), schema)
    data = rm.load_dataset(frames, columns=RU_COLUMNS, read=rm.ReadOptions(decimal=","))
    pd.testing.assert_frame_equal(data.rows, canonical.rows)
    q = ["table", "rule", "column", "rows"]
    pd.testing.assert_frame_equal(data.quality[q], canonical.quality[q])
    pd.testing.assert_frame_equal(_numbers(data), _numbers(canonical))
