"""Coverage and false-positive figures of its() and did() on simulated series.

Prints tables; passes or fails nothing. Usage::

    python benchmarks/its_coverage.py [n_sim]              # models compared, 1,000 series
    python benchmarks/its_coverage.py --test-scenarios     # tests' scenarios, full size
    python benchmarks/its_coverage.py --few-treated [n]    # DiD with few treated units
    python benchmarks/its_coverage.py --ar1-series [n]     # AR(1) t reference vs bootstrap-t
    python benchmarks/its_coverage.py --counts [n]         # the count models (below)
    python benchmarks/its_coverage.py --counts-before [n]  # the same with the old default

``--test-scenarios`` runs the scenarios of tests/test_designs_simulation.py with its seeds at
full size (1,000 ITS series, 300 DiD panels) and shows each figure against the band it must
lie in; the test file runs the same simulators at smoke size (the first draws of the same
seeds) with bands widened to the binomial standard error of that size.

ITS set-up as in METHODS.md: 120 days before, 60 after, trend 0.02/day, weekly pattern,
AR(1) noise (sd 1), level change -2 and slope change 0.03/day when there is an effect.
Model ``gls_ar`` is the default (bias-corrected AR(1) coefficient); ``gls_ar_plain`` is the
same without the correction (statsmodels GLSAR's rho).
Counts (``--counts``): about 12 complaints a day per 10,000 active customers with a weekday
pattern; the daily log-rate has noise of sd 0.15 that is independent (rho = 0) or drifts as
an AR(1) (rho = 0.5), under Poisson-gamma counts (shape 30), or plain Poisson counts;
120 + 60, 90 + 56 or 56 + 56 days; no effect or a rate ratio of 1.2 after the change. Per
scenario: false-positive rate (no effect) or coverage (effect) of the ``level_change`` row and
of the average effect's rate ratio, the ``slope_change`` false-positive rate, the share of
series with any row significant (no effect), the median width of the level change's
interval. ``--counts-before`` runs the previous default (AR errors of BIC order, t reference).

``--few-treated`` runs did() on daily segment panels with 1 of 2, 1 of 4, 1 of 10 and 5 of
10 units treated (56 + 56 days, AR(1) unit noise rho = 0.5, unit-specific noise levels):
false-positive rate of every row on ``n`` no-effect panels, coverage of the effect rows on
``n`` panels with an effect (default 1,000 + 1,000), with the rate of the CR1 t test it
replaced; tests/test_designs_simulation.py runs the same seeds on 60 + 60 panels.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from rollout_metrics.designs.did import did
from rollout_metrics.designs.its import its

N_BEFORE, N_AFTER = 120, 60
DATES = pd.date_range("2024-01-01", periods=N_BEFORE + N_AFTER, freq="D")
CHANGE = DATES[N_BEFORE]
T = np.arange(len(DATES), dtype=float)
POST = T >= N_BEFORE
WEEKLY = np.array([0.0, 1.0, 0.5, 0.0, -1.0, -3.0, -2.0])[DATES.day_of_week]


def ar1(rng: np.random.Generator, rho: float) -> np.ndarray:
    z = rng.normal(size=len(T))
    e = np.empty(len(T))
    e[0] = z[0] / np.sqrt(1 - rho**2)
    for i in range(1, len(T)):
        e[i] = rho * e[i - 1] + z[i]
    return e


def value_case(rho: float, level: float, slope: float) -> Callable[[np.random.Generator], tuple]:
    truth = level + slope * float(np.mean(T[POST] - N_BEFORE))

    def make(rng: np.random.Generator) -> tuple[pd.DataFrame, dict[str, str], float]:
        y = 50 + 0.02 * T + WEEKLY + ar1(rng, rho) + level * POST + slope * (T - N_BEFORE) * POST
        return pd.DataFrame({"date": DATES, "value": y}), {}, truth

    return make


def count_case(ratio: float, rho: float, n_before: int = N_BEFORE, n_after: int = N_AFTER,
               sd: float = 0.15, shape: float | None = 30.0
               ) -> Callable[[np.random.Generator], tuple]:
    """Daily counts: rate 0.0012 per active customer (10,000) with a weekday pattern, times
    ``ratio`` from day ``n_before`` on, times exp(log-rate noise of sd ``sd``: AR(1) ``rho``),
    Poisson-gamma with ``shape`` (None: Poisson)."""
    dates = pd.date_range("2024-01-01", periods=n_before + n_after, freq="D")
    t = np.arange(len(dates), dtype=float)
    post = t >= n_before
    active = np.full(len(t), 10_000.0)
    dow = np.array([1.1, 1.1, 1.0, 1.0, 1.0, 0.9, 0.9])[dates.day_of_week]
    base = 0.0012 * active * dow

    def make(rng: np.random.Generator) -> tuple[pd.DataFrame, dict[str, str], float]:
        z = rng.normal(size=len(t))
        e = np.empty(len(t))
        e[0] = z[0] / np.sqrt(1 - rho**2)
        for i in range(1, len(t)):
            e[i] = rho * e[i - 1] + z[i]
        mu = base * np.where(post, ratio, 1.0) * np.exp(sd * e * np.sqrt(1 - rho**2))
        counts = rng.poisson(mu if shape is None else rng.gamma(shape, mu / shape))
        frame = pd.DataFrame({"date": dates, "value": counts, "active": active})
        # truth on the rate-ratio scale; the table's average effect is a rate difference
        return frame, {"exposure": "active", "change": str(dates[n_before].date())}, ratio

    return make


#: --counts scenarios: (label, ratio, rho, before, after, shape); seed 1007 + row.
COUNT_SCENARIOS = [
    ("NB, drift rho=0.5, ratio 1.2", 1.2, 0.5, 120, 60, 30.0),
    ("NB, rho=0, no effect", 1.0, 0.0, 120, 60, 30.0),
    ("NB, rho=0, no effect [poisson]", 1.0, 0.0, 120, 60, 30.0),
    ("NB, drift rho=0.5, no effect", 1.0, 0.5, 120, 60, 30.0),
    ("NB, drift rho=0.5, no effect", 1.0, 0.5, 90, 56, 30.0),
    ("NB, drift rho=0.5, no effect", 1.0, 0.5, 56, 56, 30.0),
    ("NB, rho=0, no effect", 1.0, 0.0, 56, 56, 30.0),
    ("Poisson, no noise, no effect", 1.0, 0.0, 56, 56, None),
    ("NB, rho=0, ratio 1.2", 1.2, 0.0, 120, 60, 30.0),
    ("NB, drift rho=0.5, ratio 1.2", 1.2, 0.5, 56, 56, 30.0),
]


def count_rates(make: Callable[[np.random.Generator], tuple], model: str, n_sim: int,
                seed: int) -> dict[str, float]:
    """its() on ``n_sim`` count series: see the module notes (``--counts``). ``model``:
    ``"quasipoisson"`` (default fit), ``"quasipoisson_bic"`` (AR errors of the BIC order,
    the earlier default) or ``"poisson"``."""
    from rollout_metrics.designs.its import _choose_order, _design, _validate

    rng = np.random.default_rng(seed)
    hits = {"level": 0, "ratio": 0, "slope": 0, "any_significant": 0}
    cover = {"level": 0, "ratio": 0}
    widths = []
    started = time.perf_counter()
    for i in range(n_sim):
        frame, kw, truth = make(rng)
        change = kw.pop("change")
        extra: dict = {"seed": i}
        if model == "quasipoisson_bic":
            data = _validate(frame, "date", "value", None, "active")
            data["period"] = np.where(data["date"] >= change, "after", "before")
            x, names, inter = _design(data["date"], "D", pd.Timestamp(change), None)
            extra = {"ar_order": _choose_order(data, x, names, inter, True)}
        res = its(frame, change_date=change, model="poisson" if model == "poisson" else
                  "quasipoisson", **kw, **extra)
        tab = res.table.set_index("term")
        r = res.model_info["average_effect_ratio"]
        lv, sl = tab.loc["level_change"], tab.loc["slope_change"]
        hits["level"] += int(lv["p_value"] < 0.05)
        hits["ratio"] += int(r["p_value"] < 0.05)
        hits["slope"] += int(sl["p_value"] < 0.05)
        hits["any_significant"] += int(bool(tab["significant"].fillna(False).any()))
        cover["level"] += int(lv["ci_low"] <= np.log(truth) <= lv["ci_high"])
        cover["ratio"] += int(r["ci_low"] <= truth <= r["ci_high"])
        widths.append(lv["ci_high"] - lv["ci_low"])
    out = {f"reject {k}": v / n_sim for k, v in hits.items()}
    out |= {f"coverage {k}": v / n_sim for k, v in cover.items()}
    out |= {"median width level": float(np.median(widths)),
            "ms_per_fit": 1000 * (time.perf_counter() - started) / n_sim}
    return out


def count_table(n_sim: int, before: bool = False) -> pd.DataFrame:
    """:func:`count_rates` over :data:`COUNT_SCENARIOS` (seed 1007 + row)."""
    rows = []
    for i, (label, ratio, rho, nb, na, shape) in enumerate(COUNT_SCENARIOS):
        model = "poisson" if label.endswith("[poisson]") else (
            "quasipoisson_bic" if before else "quasipoisson")
        make = count_case(ratio, rho, nb, na, shape=shape, sd=0.0 if shape is None else 0.15)
        rows.append({"scenario": label.replace(" [poisson]", ""), "days": f"{nb}+{na}",
                     "model": model, **count_rates(make, model, n_sim, 1007 + i)})
    table = pd.DataFrame(rows)
    print(f"its() on daily counts: {n_sim} series per row, alpha = 0.05 (Monte Carlo SE "
          f"{np.sqrt(0.05 * 0.95 / n_sim):.4f} at 0.05 or 0.95). 'reject': share of p < 0.05 "
          "(false-positive rate without an effect, power with one); coverage of the true "
          "log ratio (level) and rate ratio (average effect)")
    with pd.option_context("display.width", 250, "display.max_columns", 30):
        print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    return table


def run(make: Callable[[np.random.Generator], tuple], model: str, n_sim: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    covered = rejected = 0
    started = time.perf_counter()
    plain = model == "gls_ar_plain"
    for _ in range(n_sim):
        frame, kw, truth = make(rng)
        if plain:  # statsmodels GLSAR's rho, without the small-sample bias correction
            kw = {**kw, "bias_correct": False}
        res = its(frame, change_date=CHANGE, model="gls_ar" if plain else model,  # type: ignore[arg-type]
                  **kw)
        row = res.table.iloc[0]
        lo, hi, p = row["ci_low"], row["ci_high"], row["p_value"]
        covered += int(lo <= truth <= hi)
        rejected += int(p < 0.05)
    return {
        "coverage": covered / n_sim,
        "reject_rate": rejected / n_sim,
        "ms_per_fit": 1000 * (time.perf_counter() - started) / n_sim,
    }


def its_rates(rho: float, level: float, slope: float, n_sim: int, seed: int
              ) -> tuple[float, float]:
    """(coverage of the true average effect, rejection rate at alpha 0.05) of the default
    model (``gls_ar``) on ``n_sim`` series with AR(1) noise and the given level/slope change."""
    r = run(value_case(rho, level, slope), "gls_ar", n_sim, seed)
    return r["coverage"], r["reject_rate"]


def did_panel(rng: np.random.Generator, n_units: int = 20, n_dates: int = 28, rho: float = 0.3
              ) -> pd.DataFrame:
    """Parallel trends, no effect: unit levels, common daily shocks, AR(1) unit noise."""
    dates = pd.date_range("2024-01-01", periods=n_dates, freq="D")
    common = rng.normal(0, 1, n_dates) + 0.05 * np.arange(n_dates)
    noise = np.empty((n_units, n_dates))
    noise[:, 0] = rng.normal(0, 1, n_units) / np.sqrt(1 - rho**2)
    for j in range(1, n_dates):
        noise[:, j] = rho * noise[:, j - 1] + rng.normal(0, 1, n_units)
    y = rng.normal(50, 5, (n_units, 1)) + common + noise
    units = np.repeat([f"u{i:02d}" for i in range(n_units)], n_dates)
    return pd.DataFrame({"unit": units, "date": np.tile(dates, n_units), "value": y.ravel()})


def did_rates(n_sim: int, seed: int) -> dict[str, float]:
    """Rejection rates at alpha 0.05 of every did() term on :func:`did_panel` panels
    (10 of 20 units treated, change after 14 days)."""
    rng = np.random.default_rng(seed)
    treated = [f"u{i:02d}" for i in range(10)]
    hits = {"did_2x2": 0, "did_twfe": 0, "pre_trend": 0}
    for _ in range(n_sim):
        table = did(did_panel(rng), treated=treated, change_date="2024-01-15").table
        for term, p in zip(table["term"], table["p_value"], strict=True):
            hits[term] += int(p < 0.05)
    return {k: v / n_sim for k, v in hits.items()}


def few_panel(rng: np.random.Generator, n_units: int, n_treated: int, effect: float = 0.0,
              rho: float = 0.5, n_before: int = 56, n_after: int = 56) -> pd.DataFrame:
    """A daily segment panel: unit levels, common daily shocks with a trend and a weekly
    pattern, AR(1) unit noise with unit-specific noise levels (sd 0.5-2), the first
    ``n_treated`` units treated from day ``n_before`` on by ``effect``."""
    n_dates = n_before + n_after
    dates = pd.date_range("2024-01-01", periods=n_dates, freq="D")
    day = np.arange(n_dates)
    noise = np.empty((n_units, n_dates))
    noise[:, 0] = rng.normal(0, 1, n_units) / np.sqrt(1 - rho**2)
    for j in range(1, n_dates):
        noise[:, j] = rho * noise[:, j - 1] + rng.normal(0, 1, n_units)
    common = rng.normal(0, 1, n_dates) + 0.02 * day + np.array(
        [0.0, 1.0, 0.5, 0.0, -1.0, -3.0, -2.0])[dates.day_of_week]
    sd = rng.uniform(0.5, 2.0, (n_units, 1))
    y = rng.normal(50, 5, (n_units, 1)) + common + sd * noise
    y[:n_treated] += effect * (day >= n_before)
    units = np.repeat([f"u{i:02d}" for i in range(n_units)], n_dates)
    return pd.DataFrame({"unit": units, "date": np.tile(dates, n_units), "value": y.ravel()})


#: The few-treated scenarios of docs/methods.md: (units, treated units), 56 + 56 days.
FEW_TREATED = {"1 of 2": (2, 1), "1 of 4": (4, 1), "1 of 10": (10, 1), "5 of 10": (10, 5)}
#: Panels too short for the gap series (6 + 6 dates): the randomisation test.
SHORT_PANELS = {"2 of 8, 6 + 6 days": (8, 2), "1 of 4, 6 + 6 days": (4, 1)}


def few_treated_rates(n_units: int, n_treated: int, n_sim: int, seed: int,
                      effect: float = 1.0, n_resamples: int = 999, n_days: int = 56
                      ) -> dict[str, float | str]:
    """did() on ``n_sim`` no-effect :func:`few_panel` panels of ``n_days`` + ``n_days`` days
    (false-positive rate of the effect rows among the rows with a p-value; the CR1
    cluster-robust t test they replaced, for comparison; the share of effect rows that cannot
    reach significance) and on ``n_sim`` panels with ``effect`` (coverage of the effect rows'
    intervals; seed + 1). The effect starts at the change, so the before window of both sets
    has parallel trends: the pre-trend's false-positive rate is measured on all ``2 n_sim``
    panels."""
    from scipy import stats

    from rollout_metrics.designs._panel import cluster_fit, fixed_effects

    treated = [f"u{i:02d}" for i in range(n_treated)]
    change = pd.Timestamp("2024-01-01") + pd.Timedelta(days=n_days)
    terms = ("did_2x2", "did_twfe", "pre_trend")
    hits, tested = dict.fromkeys(terms, 0), dict.fromkeys(terms, 0)
    covered, tested_cov = dict.fromkeys(terms[:2], 0), dict.fromkeys(terms[:2], 0)
    cr1 = cannot = 0
    methods: set[str] = set()
    for part in (0, 1):
        rng = np.random.default_rng(seed + part)
        for i in range(n_sim):
            frame = few_panel(rng, n_units, n_treated, effect=effect * part, n_before=n_days,
                              n_after=n_days)
            table = did(frame, treated=treated, change_date=change, n_resamples=n_resamples,
                        seed=seed + part * n_sim + i).table.set_index("term")
            for term, row in table.iterrows():
                methods.add(str(row["method"]).replace(f"{term}_", ""))
                if part == 1 and term != "pre_trend":
                    if np.isfinite(row["ci_low"]) and np.isfinite(row["ci_high"]):
                        tested_cov[term] += 1
                        covered[term] += int(row["ci_low"] <= effect <= row["ci_high"])
                    continue
                if np.isfinite(row["p_value"]):
                    tested[term] += 1
                    hits[term] += int(row["p_value"] < 0.05)
                elif term != "pre_trend" and row["status"] == "cannot_reach_significance":
                    cannot += 1
            if part == 0:
                d = frame.assign(tr=frame["unit"].isin(treated), post=frame["date"] >= change)
                x = (d["tr"] & d["post"]).to_numpy(float)[:, None]
                b, v, df = cluster_fit(d["value"].to_numpy(float), x, d["unit"],
                                       np.ones(len(d)), fixed_effects(d))
                with np.errstate(divide="ignore", invalid="ignore"):
                    cr1 += int(2 * stats.t.sf(abs(b[0]) / np.sqrt(v[0, 0]), df) < 0.05)
    nan = float("nan")
    out: dict[str, float | str] = {
        **{f"fpr {t}": hits[t] / tested[t] if tested[t] else nan for t in terms},
        "fpr CR1 twfe (old)": cr1 / n_sim,
        **{f"coverage {t}": covered[t] / tested_cov[t] if tested_cov[t] else nan
           for t in terms[:2]},
        "cannot reach": cannot / (2 * n_sim),
        "tests": ", ".join(sorted(methods)),
    }
    return out


def few_treated_table(n_sim: int, seed: int = 20240601) -> pd.DataFrame:
    """The few-treated scenarios side by side (56 + 56 days, then the short panels that
    fall to the randomisation test), with the Monte Carlo SEs of the rates."""
    rows = []
    scenarios = [(label, spec, 56) for label, spec in FEW_TREATED.items()]
    scenarios += [(label, spec, 6) for label, spec in SHORT_PANELS.items()]
    for k, (label, (n_units, n_treated), n_days) in enumerate(scenarios):
        started = time.perf_counter()
        r = few_treated_rates(n_units, n_treated, n_sim, seed + 10 * k, n_days=n_days)
        rows.append({"scenario": label, **r, "seconds": round(time.perf_counter() - started)})
    table = pd.DataFrame(rows)
    print(f"did() with few treated units: {n_sim} no-effect panels and {n_sim} panels with "
          "effect 1 per scenario (pre-trend: all of them);")
    print("daily, 56 + 56 days unless stated, AR(1) unit noise rho = 0.5, unit noise sd "
          "0.5-2, alpha = 0.05. Monte Carlo SE of a rate of 0.05 or 0.95: "
          f"{np.sqrt(0.05 * 0.95 / n_sim):.4f} on {n_sim} panels, "
          f"{np.sqrt(0.05 * 0.95 / (2 * n_sim)):.4f} on {2 * n_sim}.")
    with pd.option_context("display.width", 250, "display.max_columns", 30):
        print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    return table


def ar1_series_rates(n_points: int, rho: float, model: str, n_sim: int, seed: int,
                     n_resamples: int = 999) -> dict[str, float]:
    """Rejection rate at alpha 0.05 of a true null on ``n_sim`` AR(1) series of ``n_points``
    (``model``: ``"shift"``, a mean shift halfway, or ``"slope"``, a linear trend): feasible
    GLS with AR(1) errors (bias-corrected rho, first point kept) against Student's t; the
    same with the AR order chosen by BIC on the residuals; and the bootstrap-t of the DiD gap
    series (``designs._ar_bootstrap``)."""
    from scipy import stats

    from rollout_metrics.designs._ar_bootstrap import _simulate, ar1_bootstrap_t
    from rollout_metrics.designs._common import gls_ar, select_ar_order

    t = np.arange(n_points, dtype=float)
    second = (t >= n_points // 2).astype(float) if model == "shift" else t - t.mean()
    x = np.column_stack([np.ones(n_points), second])
    rng = np.random.default_rng(seed)
    hits = {"t reference, AR(1)": 0, "t reference, AR order by BIC": 0, "bootstrap-t, AR(1)": 0}
    starts = np.r_[True, np.zeros(n_points - 1, dtype=bool)]
    for _ in range(n_sim):
        y = _simulate(rng, rho, 1, starts)[0]
        for label, order in (("t reference, AR(1)", 1), ("t reference, AR order by BIC",
                             select_ar_order(y - x @ np.linalg.lstsq(x, y, rcond=None)[0]))):
            fit = gls_ar(y, x, order, bias_correct=True, keep_first=True)
            p = 2 * stats.t.sf(abs(fit.params[1] / fit.bse[1]), n_points - 2)
            hits[label] += int(p < 0.05)
        test = ar1_bootstrap_t(y, x, 1, alpha=0.05, n_resamples=n_resamples, rng=rng)
        hits["bootstrap-t, AR(1)"] += int(test.inference.p_value < 0.05)
    return {k: v / n_sim for k, v in hits.items()}


def ar1_series_table(n_sim: int, seed: int = 20240701) -> pd.DataFrame:
    """:func:`ar1_series_rates` over lengths, rho and the two models (why the gap series uses
    AR(1) errors and a bootstrap-t)."""
    rows = []
    cells = [("shift", n, r) for n in (16, 28, 56, 112) for r in (0.0, 0.5, 0.8)]
    cells += [("slope", n, r) for n in (12, 28, 56) for r in (0.0, 0.5)]
    for k, (model, n, rho) in enumerate(cells):
        rows.append({"model": model, "points": n, "rho": rho,
                     **ar1_series_rates(n, rho, model, n_sim, seed + k)})
    table = pd.DataFrame(rows)
    print(f"True-null rejection rate at alpha 0.05, {n_sim} AR(1) series per row "
          f"(Monte Carlo SE {np.sqrt(0.05 * 0.95 / n_sim):.4f} at 0.05)")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    return table


#: tests/test_designs_simulation.py's scenarios: (label, seed, full size, band at full size).
TEST_SCENARIOS = {
    "its_coverage_ar1": ("ITS rho=0.5, effect: coverage", 20240501, 1000, (0.93, 0.97)),
    "its_fpr_white": ("ITS rho=0, no effect: false-positive rate", 20240502, 1000,
                      (0.035, 0.065)),
    "its_fpr_ar1": ("ITS rho=0.5, no effect: false-positive rate", 20240504, 1000,
                    (0.035, 0.075)),
    "did_fpr": ("DiD parallel trends, AR(1) 0.3 unit noise: false-positive rate", 20240503,
                300, (0.02, 0.09)),
}


def run_test_scenarios() -> pd.DataFrame:
    """The test file's scenarios at full size, each figure beside its band."""
    rows = []
    for key, (label, seed, n_sim, (lo, hi)) in TEST_SCENARIOS.items():
        started = time.perf_counter()
        if key == "did_fpr":
            figures = {f"{label} ({term})": rate for term, rate in did_rates(n_sim, seed).items()}
        else:
            rho = 0.0 if key == "its_fpr_white" else 0.5
            effect = (-2.0, 0.03) if key == "its_coverage_ar1" else (0.0, 0.0)
            coverage, reject = its_rates(rho, *effect, n_sim=n_sim, seed=seed)
            figures = {label: coverage if key == "its_coverage_ar1" else reject}
        seconds = time.perf_counter() - started
        rows += [{"scenario": name, "seed": seed, "n_sim": n_sim, "figure": value,
                  "band": f"[{lo}, {hi}]", "in_band": lo <= value <= hi,
                  "seconds": round(seconds, 1)} for name, value in figures.items()]
    table = pd.DataFrame(rows)
    print("tests/test_designs_simulation.py scenarios at full size (alpha = 0.05)")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}",
                          formatters={"seconds": lambda v: f"{v:.1f}"}))
    return table


def did_fpr(n_sim: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2024-01-01", periods=28, freq="D")
    units = [f"u{i:02d}" for i in range(20)]
    hits = {"did_2x2": 0, "did_twfe": 0, "pre_trend": 0}
    for _ in range(n_sim):
        common = rng.normal(0, 1, 28) + 0.05 * np.arange(28)
        y = rng.normal(50, 5, (20, 1)) + common + rng.normal(0, 1, (20, 28))
        frame = pd.DataFrame(
            {"unit": np.repeat(units, 28), "date": np.tile(dates, 20), "value": y.ravel()}
        )
        table = did(frame, treated=units[:10], change_date="2024-01-15").table
        for term, p in zip(table["term"], table["p_value"], strict=True):
            hits[term] += int(p < 0.05)
    return {k: v / n_sim for k, v in hits.items()}


def main() -> None:
    if "--test-scenarios" in sys.argv[1:]:
        run_test_scenarios()
        return
    if "--ar1-series" in sys.argv[1:]:
        rest = [a for a in sys.argv[1:] if not a.startswith("--")]
        ar1_series_table(int(rest[0]) if rest else 1000)
        return
    if "--few-treated" in sys.argv[1:]:
        rest = [a for a in sys.argv[1:] if not a.startswith("--")]
        few_treated_table(int(rest[0]) if rest else 1000)
        return
    rest = [a for a in sys.argv[1:] if not a.startswith("--")]
    n_sim = int(rest[0]) if rest else 1000
    if "--counts" in sys.argv[1:] or "--counts-before" in sys.argv[1:]:
        count_table(n_sim, before="--counts-before" in sys.argv[1:])
        return
    cases = [
        ("AR(1) rho=0.5, effect", value_case(0.5, -2.0, 0.03), "gls_ar"),
        ("AR(1) rho=0.5, effect", value_case(0.5, -2.0, 0.03), "gls_ar_plain"),
        ("AR(1) rho=0.5, effect", value_case(0.5, -2.0, 0.03), "ols_hac"),
        ("rho=0, no effect", value_case(0.0, 0.0, 0.0), "gls_ar"),
        ("rho=0, no effect", value_case(0.0, 0.0, 0.0), "ols_hac"),
        ("AR(1) rho=0.5, no effect", value_case(0.5, 0.0, 0.0), "gls_ar"),
        ("AR(1) rho=0.5, no effect", value_case(0.5, 0.0, 0.0), "gls_ar_plain"),
    ]
    rows = []
    for i, (label, make, model) in enumerate(cases):  # seed 1000 + row
        rows.append({"scenario": label, "model": model, **run(make, model, n_sim, 1000 + i)})
    print(f"its(): {n_sim} simulated series per row, 120 + 60 days, alpha = 0.05")
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    count_table(max(100, n_sim // 3))
    n_did = max(100, n_sim // 3)
    print(f"\ndid(): false-positive rate, parallel trends, no effect, {n_did} panels "
          "(20 units, 10 treated, 14 + 14 days)")  # fmt: skip
    print(pd.Series(did_fpr(n_did, 7)).to_string(float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    main()
