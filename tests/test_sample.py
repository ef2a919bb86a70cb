"""The sample generator: deterministic, matches the bundled files, and records its truth."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import rollout_metrics
from rollout_metrics import sample
from rollout_metrics.load.dataset import sample_path

SAMPLE = sample_path()
FILES = ("customers.csv", "surveys.csv", "tickets.csv", "truth.json")


def test_sample_ships_inside_the_package() -> None:
    package = Path(rollout_metrics.__file__).resolve().parent
    assert SAMPLE == sample.BUNDLED == package / "_sample"
    assert all((SAMPLE / name).is_file() for name in FILES)


def test_bundled_sample_is_what_the_command_line_writes_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Without --out the command rewrites the packaged sample; redirected here to tmp_path.
    monkeypatch.setattr(sample, "BUNDLED", tmp_path)
    assert sample.main([]) == 0
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (SAMPLE / name).read_bytes(), name


def test_benchmark_data_needs_an_explicit_out(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        sample.main(["--tickets", "2_000"])
    assert exc.value.code == 2
    assert "--out is required" in capsys.readouterr().err


def test_same_seed_same_tables() -> None:
    a, _ = sample.generate(seed=3, n_customers=300)
    b, _ = sample.generate(seed=3, n_customers=300)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])


def test_truth_lists_injected_effects_and_bad_rows() -> None:
    truth = json.loads((SAMPLE / "truth.json").read_text())
    vip = [e for e in truth["effects"] if e["metric"] == "nps" and e["segment"] == "VIP"]
    assert vip[0]["delta"] == -15.0
    assert {q["rule"] for q in truth["injected_quality_issues"]} == {
        "nps_score outside 0-10", "unknown customer_id (not in customers)",
        "resolved_at before created_at", "negative amount", "missing amount"}


def test_generated_shape_is_realistic() -> None:
    tables, _ = sample.generate()
    tickets = tables["tickets"]
    daily = tickets[tickets["is_complaint"]].groupby(tickets["created_at"].dt.date).size()
    # About a dozen complaints a day, overdispersed (variance well above the mean).
    assert 8 < daily.mean() < 20
    assert daily.var() > 2 * daily.mean()
    # Handling times tie at whole minutes.
    minutes = (tickets["resolved_at"] - tickets["created_at"]).dt.total_seconds() / 60
    assert (minutes.dropna() % 1 == 0).all()
    assert tickets["resolved_at"].isna().sum() > 0  # open tickets at the data's end
    # About 6 orders per active customer-year, amounts with a heavy right tail.
    orders = tables["orders"]
    amount = orders["amount"].dropna()
    assert 20_000 < len(orders) < 30_000
    assert amount.quantile(0.999) > 5 * amount.median()
    assert (amount < 0).sum() == 2 and orders["amount"].isna().sum() == 1


def test_other_tables_do_not_depend_on_the_orders() -> None:
    with_orders, _ = sample.generate(seed=3, n_customers=300)
    without, _ = sample.generate(seed=3, n_customers=300, orders_per_year=0.0)
    assert "orders" not in without
    for name, frame in without.items():
        pd.testing.assert_frame_equal(frame, with_orders[name])


def test_command_line_writes_parquet(tmp_path: Path) -> None:
    assert sample.main(["--out", str(tmp_path), "--format", "parquet", "--tickets", "2_000"]) == 0
    assert pd.read_parquet(tmp_path / "tickets.parquet").shape[0] > 1000
