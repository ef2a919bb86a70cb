"""User-defined metrics (``define_metric``) give the numbers of the built-in metric they
restate, and of a direct computation on the raw rows.

Outside checks: a custom ``mean`` of ``csat_score`` is the built-in ``csat_mean`` (Welch t from
the same moments, itself checked against R's ``t.test`` in tests/test_reference_values.py);
a custom ``rate`` of ``is_complaint`` is the built-in ``complaints`` (exact Poisson /
quasi-Poisson daily test, checked against R's ``poisson.test`` there); a custom
``proportion`` equals statsmodels' two-proportion z test on the raw tickets.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportions_ztest

import rollout_metrics as rm
from rollout_metrics.load.dataset import sample_path

ROLLOUT = rm.Rollout("2025-09-01", announced="2025-08-11")
COLS = ["segment", "n_before", "n_after", "before", "after", "delta", "ci_low", "ci_high",
        "p_value"]


@pytest.fixture
def defined() -> Iterator[list[str]]:
    names: list[str] = []
    yield names
    for n in names:
        rm.unregister_metric(n)


def _define(names: list[str], name: str, **kw: Any) -> None:
    rm.define_metric(name, **kw)
    names.append(name)


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a[COLS].reset_index(drop=True),
                                  b[COLS].reset_index(drop=True), rtol=1e-9)


def test_custom_mean_is_csat_mean(sample: rm.Dataset, defined: list[str]) -> None:
    _define(defined, "my_csat", table="surveys", kind="mean", column="csat_score",
            direction=1)
    mine = rm.compare(sample, ROLLOUT, ["my_csat"], by="tier")
    ours = rm.compare(sample, ROLLOUT, ["csat_mean"], by="tier")
    _same(mine, ours)


def test_custom_rate_is_complaints(sample: rm.Dataset, defined: list[str]) -> None:
    _define(defined, "my_complaints", table="tickets", kind="rate", column="is_complaint",
            direction=-1)
    mine = rm.compare(sample, ROLLOUT, ["my_complaints"], by="channel")
    ours = rm.compare(sample, ROLLOUT, ["complaints"], by="channel")
    _same(mine, ours)
    assert (mine["method"].to_numpy() == ours["method"].to_numpy()).all()


def test_custom_proportion_with_a_filter_matches_raw_rows(sample: rm.Dataset,
                                                          defined: list[str]) -> None:
    _define(defined, "chat_complaints", table="tickets", kind="proportion",
            column="is_complaint", where={"channel": ["chat"]}, direction=-1,
            label="Complaints among chat tickets (%)")
    row = rm.compare(sample, ROLLOUT, ["chat_complaints"]).iloc[0]
    raw = pd.read_csv(sample_path() / "tickets.csv", parse_dates=["created_at"])
    ok = raw.merge(sample.tickets.select("ticket_id").collect().to_pandas(), on="ticket_id")
    chat = ok[ok.channel == "chat"]
    w = ROLLOUT.windows()
    (b0, b1), (a0, a1) = w["before"], w["after"]
    before = chat[(chat.created_at >= b0) & (chat.created_at < b1)]
    after = chat[(chat.created_at >= a0) & (chat.created_at < a1)]
    hits = np.array([after.is_complaint.sum(), before.is_complaint.sum()])
    n = np.array([len(after), len(before)])
    assert (row.n_before, row.n_after) == (n[1], n[0])
    assert row.before == pytest.approx(100 * hits[1] / n[1], rel=1e-12)
    assert row.after == pytest.approx(100 * hits[0] / n[0], rel=1e-12)
    _, p = proportions_ztest(hits, n)
    assert row.p_value == pytest.approx(p, rel=1e-9)


def test_report_and_guardrail_know_a_custom_metric(sample: rm.Dataset,
                                                  defined: list[str]) -> None:
    _define(defined, "chat_share", table="tickets", kind="proportion", column="channel",
            values=["chat"], direction=1, label="Tickets by chat (%)")
    rep = rm.build_report(sample, ROLLOUT, ["nps", "chat_share"], by="tier",
                          guardrails=["chat_share.delta < -50"], n_resamples=200)
    html = rep.html()
    assert "Tickets by chat (%)" in html
    assert rep.breaches.empty and "chat_share" in set(rep.guardrails["metric"])


@pytest.mark.parametrize(("kw", "message"), [
    ({"name": "nps", "kind": "mean", "column": "csat_score"}, "'nps' exists (built in)"),
    ({"name": "x", "kind": "median", "column": "csat_score"}, "kind must be one of"),
    ({"name": "x", "kind": "mean", "column": "csat_score", "values": [5]}, "values= is for "
     "proportions"),
    ({"name": "bad name", "kind": "mean", "column": "csat_score"}, "letters, digits"),
])
def test_bad_definitions(kw: dict[str, Any], message: str) -> None:
    with pytest.raises(rm.DataValidationError, match=message.replace("(", r"\(").replace(
            ")", r"\)")):
        rm.define_metric(table="surveys", direction=1, **kw)


def test_a_missing_column_is_named(sample: rm.Dataset, defined: list[str]) -> None:
    _define(defined, "refunds", table="tickets", kind="proportion", column="refund_requested",
            direction=-1)
    with pytest.raises(rm.MissingColumnError, match="refunds: the tickets table has no "
                       "'refund_requested' column"):
        rm.compare(sample, ROLLOUT, ["refunds"])
    _define(defined, "chat_refunds", table="tickets", kind="proportion",
            column="is_complaint", where={"medium": ["chat"]}, direction=-1)
    with pytest.raises(rm.MissingColumnError, match="chat_refunds: the tickets table has no "
                       "column 'medium'"):
        rm.compare(sample, ROLLOUT, ["chat_refunds"])


def _toml(tmp_path: Any, metrics: str, extra: str = "") -> Any:
    path = tmp_path / "rollout.toml"
    path.write_text(f'[data]\npath = "{sample_path()}"\n[rollout]\nchange_date = 2025-09-01\n'
                    f'[analysis]\nmetrics = ["nps", "chat_complaints"]\nby = [["tier"]]\n'
                    f'n_resamples = 200\n{extra}{metrics}', encoding="utf-8")
    return path


CHAT = ('[metrics.chat_complaints]\ntable = "tickets"\nkind = "proportion"\n'
        'column = "is_complaint"\nwhere = { channel = "chat" }\n'
        'direction = "higher_is_worse"\nlabel = "Complaints among chat tickets (%)"\n')


def test_toml_defines_a_metric_for_the_report(tmp_path: Any, capsys: Any) -> None:
    from rollout_metrics.cli import main
    from rollout_metrics.config import load_config

    try:
        config = load_config(_toml(tmp_path, CHAT, '[guardrails]\nfail_on = '
                                   '["chat_complaints.delta > 50"]\n'))
        assert config.metrics["chat_complaints"]["where"] == {"channel": "chat"}
        out = tmp_path / "r.html"
        assert main(["report", "--config", str(tmp_path / "rollout.toml"), "--out", str(out),
                     "--quiet"]) == 0
        assert "Complaints among chat tickets (%)" in out.read_text(encoding="utf-8")
    finally:
        rm.unregister_metric("chat_complaints")


def test_toml_metric_mistakes_in_one_message(tmp_path: Any) -> None:
    from rollout_metrics.config import load_config
    from rollout_metrics.errors import ConfigError

    bad = ('[metrics.chat_complaints]\ntable = "ticket"\nkind = "proportion"\n'
           'colum = "is_complaint"\ndirection = "up"\n')
    with pytest.raises(ConfigError, match=r"\[metrics.chat_complaints\] unknown key 'colum' "
                       r"\(did you mean 'column'\?\).*\[metrics.chat_complaints\] column is "
                       r"required"):
        load_config(_toml(tmp_path, bad))


def test_repeat_days_and_top_segments_from_the_toml(tmp_path: Any, sample: rm.Dataset) -> None:
    from rollout_metrics.config import load_config

    path = tmp_path / "rollout.toml"
    path.write_text(f'[data]\npath = "{sample_path()}"\n[rollout]\nchange_date = 2025-09-01\n'
                    '[analysis]\nmetrics = "repeat_contacts"\nrepeat_days = 3\n'
                    'top_segments = 5\n', encoding="utf-8")
    options = load_config(path).analysis.options()
    assert options["repeat_days"] == 3 and options["top_segments"] == 5
    rep = rm.build_report(sample, ROLLOUT, "repeat_contacts", **options)
    three = rm.compare(sample, ROLLOUT, "repeat_contacts", repeat_days=3)
    seven = rm.compare(sample, ROLLOUT, "repeat_contacts")
    cols = ["n_before", "n_after", "before", "after"]
    pd.testing.assert_frame_equal(rep.results[cols].reset_index(drop=True),
                                  three[cols].reset_index(drop=True))
    assert not three[cols].equals(seven[cols])


def test_custom_ratio_is_the_average_check_and_revenue(sample: rm.Dataset,
                                                       defined: list[str]) -> None:
    # The built-ins are checked against R's sandwich::vcovCL (cases AC-1..AC-4,
    # tests/test_orders.py); a ratio restating them gives their numbers.
    _define(defined, "my_check", table="orders", kind="ratio", column="amount", direction=1)
    _define(defined, "my_revenue", table="orders", kind="ratio", column="amount",
            per="customer", direction=1)
    _same(rm.compare(sample, ROLLOUT, ["my_check"], by="tier"),
          rm.compare(sample, ROLLOUT, ["average_check_uncapped"], by="tier"))
    _same(rm.compare(sample, ROLLOUT, ["my_revenue"], by="tier", winsorize=None),
          rm.compare(sample, ROLLOUT, ["revenue_per_customer"], by="tier", winsorize=None))


def test_custom_ratio_share_of_tickets_is_clustered_by_customer(sample: rm.Dataset,
                                                                defined: list[str]) -> None:
    # Outside check: statsmodels' WLS of each customer's share on a period dummy (weights:
    # the customer's tickets), covariance clustered by customer without small-sample factor,
    # is the delta-method difference of the two ratios of sums.
    import statsmodels.api as sm

    _define(defined, "chat_tickets", table="tickets", kind="ratio", column="channel",
            values=["chat"], direction=1)
    row = rm.compare(sample, ROLLOUT, ["chat_tickets"]).iloc[0]
    tickets = sample.tickets.select("customer_id", "created_at", "channel").collect()
    t = tickets.to_pandas()
    w = ROLLOUT.windows()
    parts = []
    for after, p in ((0, "before"), (1, "after")):
        lo, hi = w[p]
        inside = t[(t.created_at >= lo) & (t.created_at < hi) & t.channel.notna()]
        per = inside.assign(y=inside.channel.eq("chat")).groupby("customer_id").agg(
            y=("y", "sum"), n=("y", "size")).reset_index()
        parts.append(per.assign(after=after))
    stacked = pd.concat(parts, ignore_index=True)
    fit = sm.WLS(stacked.y / stacked.n, sm.add_constant(stacked[["after"]].astype(float)),
                 weights=stacked.n).fit(cov_type="cluster", cov_kwds={
                     "groups": stacked.customer_id, "use_correction": False})
    assert row.before == pytest.approx(100 * fit.params["const"], rel=1e-12)
    assert row.delta == pytest.approx(100 * fit.params["after"], rel=1e-9)
    assert row.p_value == pytest.approx(fit.pvalues["after"], rel=1e-7)
    half = (row.ci_high - row.ci_low) / 2
    assert half == pytest.approx(100 * 1.959963984540054 * fit.bse["after"], rel=1e-7)
    assert row.units == "% of tickets" and row.method == "ratio_of_sums_clustered_wald"


def test_custom_ratio_definitions(sample: rm.Dataset, defined: list[str]) -> None:
    with pytest.raises(rm.DataValidationError, match="a ratio metric is defined on surveys, "
                       "tickets, orders, got 'customers'"):
        rm.define_metric("x", table="customers", kind="ratio", column="tier", direction=1)
    with pytest.raises(rm.DataValidationError, match="a customers row is not an event; churn "
                       "is the built-in 'churn'"):
        rm.define_metric("x", table="customers", kind="rate", column="tier", direction=1)
    with pytest.raises(rm.DataValidationError, match="per must be 'row' or 'customer'"):
        rm.define_metric("x", table="tickets", kind="mean", column="x", direction=1,
                         per="customer")
    _define(defined, "orders_in_chat", table="orders", kind="ratio", column="amount",
            where={"channel": ["chat"]}, direction=1)
    with pytest.raises(rm.MissingColumnError, match="orders_in_chat: the orders table has no "
                       "column 'channel'"):
        rm.compare(sample, ROLLOUT, ["orders_in_chat"])
    _define(defined, "channel_sum", table="tickets", kind="ratio", column="channel",
            direction=1)
    with pytest.raises(rm.DataValidationError, match="channel_sum: the tickets column "
                       "'channel' is String, not a number"):
        rm.compare(sample, ROLLOUT, ["channel_sum"])


def test_toml_defines_a_ratio(tmp_path: Any, sample: rm.Dataset) -> None:
    from rollout_metrics.config import load_config

    ratio = ('[metrics.chat_complaints]\ntable = "tickets"\nkind = "ratio"\n'
             'column = "channel"\nvalues = "chat"\nper = "row"\n'
             'direction = "higher_is_better"\n')
    try:
        config = load_config(_toml(tmp_path, ratio))
        assert config.metrics["chat_complaints"]["per"] == "row"
        row = rm.compare(sample, ROLLOUT, ["chat_complaints"], by="channel")
        assert row.method.eq("ratio_of_sums_clustered_wald").all()
        assert set(row.segment) == {"overall", "chat", "email", "phone", "sms", "social"}
        chat = row[row.segment == "chat"].iloc[0]
        assert chat.before == chat.after == 100.0 and chat.status == "degenerate"
    finally:
        rm.unregister_metric("chat_complaints")


def test_custom_ratios_agree_on_every_engine(sample: rm.Dataset, defined: list[str],
                                             sample_frames: dict[str, pd.DataFrame]) -> None:
    import duckdb
    import polars as pl

    _define(defined, "chat_tickets", table="tickets", kind="ratio", column="channel",
            values=["chat"], direction=1)
    _define(defined, "my_revenue", table="orders", kind="ratio", column="amount",
            per="customer", direction=1)
    _define(defined, "vip_share", table="customers", kind="proportion", column="tier",
            values=["VIP"], direction=1)
    _define(defined, "detractors", table="surveys", kind="rate", column="nps_score",
            values=list(range(7)), direction=-1)
    names = ["chat_tickets", "my_revenue", "vip_share", "detractors"]
    reference = rm.compare(sample, ROLLOUT, names, by="tier")
    for convert in (lambda f: f, pl.from_pandas, lambda f: duckdb.from_df(f)):
        data = rm.load_dataset({k: convert(v) for k, v in sample_frames.items()})
        pd.testing.assert_frame_equal(rm.compare(data, ROLLOUT, names, by="tier"), reference,
                                      check_exact=False, rtol=1e-12, atol=1e-12)


def test_default_units_of_a_custom_metric_in_russian(sample: rm.Dataset,
                                                     defined: list[str]) -> None:
    from rollout_metrics.report.i18n import Text

    _define(defined, "chat_tickets", table="tickets", kind="ratio", column="channel",
            values=["chat"], direction=1)
    _define(defined, "my_check", table="orders", kind="ratio", column="amount", direction=1,
            units="руб. на заказ")
    ru, en = Text("ru"), Text("en")
    assert ru.units("chat_tickets") == "% обращений" and en.units("chat_tickets") == (
        "% of tickets")
    assert ru.units_after("chat_tickets", "+2,1") == "+2,1 процентного пункта"
    assert ru.units_after("chat_tickets", "+5") == "+5 процентных пунктов"
    assert ru.units("my_check") == "руб. на заказ"  # written by the analyst: as written


def _active(sample: rm.Dataset) -> dict[str, pd.Series]:
    """Per period, which customers have an active day (signup day <= d < churn day)."""
    c = sample.customers.collect().to_pandas()
    out = {}
    for p in ("before", "after"):
        lo, hi = ROLLOUT.windows()[p]
        length = (hi - lo).days
        first = np.floor((c.signup_date - lo).dt.total_seconds() / 86400).clip(lower=0)
        last = np.floor((c.churn_date - lo).dt.total_seconds() / 86400).fillna(length)
        out[p] = c.assign(active=(last.clip(upper=length) - first).clip(lower=0) > 0)
    return out


def test_custom_metrics_on_the_customers_table(sample: rm.Dataset, defined: list[str]) -> None:
    # The share of VIP among the customers active in each period, each counted once; the
    # clustered test is R's sandwich::vcovCL on the stacked rows (case AC-5 in
    # tests/test_orders.py); here the shares against the raw rows.
    _define(defined, "vip_share", table="customers", kind="proportion", column="tier",
            values=["VIP"], direction=1, label="VIP share of active customers")
    t = rm.compare(sample, ROLLOUT, ["vip_share"], by="region")
    row = t[t.segment == "overall"].iloc[0]
    for p, c in _active(sample).items():
        on = c[c.active]
        assert row[p] == pytest.approx(100 * on.tier.eq("VIP").mean(), rel=1e-12)
        assert row[f"n_{p}"] == len(on)
        for region, seg in on.groupby("region"):
            r = t[t.segment == region].iloc[0]
            assert r[p] == pytest.approx(100 * seg.tier.eq("VIP").mean(), rel=1e-12)
    assert row.units == "% of active customers" and row.method == (
        "ratio_of_sums_clustered_wald")
    assert rm.metrics.REGISTRY["vip_share"].delta_units == "percentage points"
    assert row.ci_low < row.delta < row.ci_high


def test_custom_proportion_mean_and_rate_on_orders_and_surveys(sample: rm.Dataset,
                                                               defined: list[str]) -> None:
    # A mean of the order amount is the uncapped average check (checked against R, AC-1..4);
    # a rate of surveys is the surveys per active customer-day x 30,000, clustered by
    # customer; both against the raw rows.
    _define(defined, "order_mean", table="orders", kind="mean", column="amount", direction=1)
    _define(defined, "big_orders", table="orders", kind="proportion", column="amount",
            values=[99.0], direction=1)
    _define(defined, "detractors", table="surveys", kind="rate", column="nps_score",
            values=list(range(7)), direction=-1)
    _same(rm.compare(sample, ROLLOUT, ["order_mean"], by="tier"),
          rm.compare(sample, ROLLOUT, ["average_check_uncapped"], by="tier"))
    t = rm.compare(sample, ROLLOUT, ["detractors", "big_orders"])
    det = t[t.metric == "detractors"].iloc[0]
    surveys = sample.surveys.select("responded_at", "nps_score").collect().to_pandas()
    for p, c in _active(sample).items():
        lo, hi = ROLLOUT.windows()[p]
        inside = surveys[(surveys.responded_at >= lo) & (surveys.responded_at < hi)]
        length = (hi - lo).days
        first = np.floor((c.signup_date - lo).dt.total_seconds() / 86400).clip(lower=0)
        last = np.floor((c.churn_date - lo).dt.total_seconds() / 86400).fillna(length)
        days = (last.clip(upper=length) - first).clip(lower=0).sum()
        assert det[p] == pytest.approx(30000 * inside.nps_score.le(6).sum() / days, rel=1e-12)
    assert det.units == "per 1,000 customers per 30 days"
    assert det.method == "ratio_of_sums_clustered_wald"
    assert t[t.metric == "big_orders"].iloc[0].units == "% of orders"


def test_readme_example_prints_what_the_readme_shows(capsys: Any) -> None:
    # The README's user-defined metrics example on the sample, and its printed output.
    import re
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    part = readme[readme.index("On the bundled sample (`rollout`"):]
    code, shown = re.search(r"```python\n(.*?)```\n\n```text\n(.*?)```", part, re.S).groups()
    try:
        exec(code, {"rm": rm})
    finally:
        for name in ("billing_share", "vip_share"):
            rm.unregister_metric(name)
    assert capsys.readouterr().out == shown
