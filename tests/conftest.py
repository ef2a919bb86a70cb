"""Shared fixtures: the bundled sample, its rollout and small hand-made tables."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

import rollout_metrics as rm
from rollout_metrics.load.dataset import sample_path

#: The bundled sample's folder, inside the package (``src/rollout_metrics/_sample``).
SAMPLE = sample_path()


@pytest.fixture(scope="session")
def sample() -> rm.Dataset:
    """The bundled sample, loaded once per test session.

    Results computed on it are memoised on the dataset; a test that must see a fresh
    dataset (no reduction computed yet) loads its own with ``rm.load_sample()``.
    """
    return rm.load_sample()


@pytest.fixture(scope="session")
def rollout() -> rm.Rollout:
    """The sample's rollout: new terms announced 2025-08-11, in force from 2025-09-01."""
    return rm.Rollout("2025-09-01", announced="2025-08-11")


@pytest.fixture(scope="session")
def sample_frames() -> dict[str, pd.DataFrame]:
    """The bundled sample CSVs as raw pandas frames (as an analyst would read them)."""
    return {t: pd.read_csv(SAMPLE / f"{t}.csv") for t in ("customers", "surveys", "tickets", "orders")}


@pytest.fixture
def tiny() -> dict[str, pd.DataFrame]:
    """Three valid customers, two surveys and two tickets."""
    customers = pd.DataFrame({
        "customer_id": [1, 2, 3],
        "signup_date": ["2024-01-01", "2024-06-01", "2025-02-01"],
        "churn_date": [None, "2025-03-01", None],
        "tier": ["VIP", "new", "regular"],
    })
    surveys = pd.DataFrame({
        "customer_id": [1, 2],
        "responded_at": ["2025-01-10 10:00:00", "2025-01-11 12:30:00"],
        "nps_score": [9, 3],
        "csat_score": [5, 2],
    })
    tickets = pd.DataFrame({
        "ticket_id": [10, 11],
        "customer_id": [1, 3],
        "created_at": ["2025-01-10 09:00:00", "2025-02-10 09:00:00"],
        "resolved_at": ["2025-01-10 12:00:00", None],
        "channel": ["phone", "email"],
        "is_complaint": [True, False],
        "category": ["billing", "other"],
    })
    return {"customers": customers, "surveys": surveys, "tickets": tickets}


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One local Spark session for the Spark test modules (started on first use)."""
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]").appName("rollout-metrics-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
