"""Repeated looks at a growing after window: false alarms, coverage, power, detection time.

An A/A rollout (no effect) is checked at every look of a schedule: 8 weekly or 56 daily looks
over a 56-day after window beside a 56-day before window.  Each simulated rollout is one row
of compare's table (a proportion, CSAT top-2-box like: 75%, 40 responses a day, pooled z
test, the test compare runs for CSAT); every look goes through
:func:`rollout_metrics.infer.sequential.sequential_table` with all simulated rollouts as rows
(``correction="none"``: each row on its own), so the figures are those of the code path of a
monitoring run.  Printed:

* the share of rollouts with a false alarm at any look: fixed-horizon 5% test at every look
  (naive), the sequential test (O'Brien–Fleming-type and Pocock-type spending), and the
  sequential test with the calendar share as information fraction (not what the package
  does: it shows why the information fraction counts the fixed before window);
* the share whose repeated confidence intervals cover the true difference at every look;
* a one-sided guardrail ``delta < m`` with the true change at the margin (A/A, m = 0):
  false breaches over all looks, one guardrail and three independent ones (family-wise);
* with a true effect (the one a fixed-horizon test at the end detects with power 0.8): the
  power by the last look and the mean look of the first detection.

    .venv/bin/python benchmarks/sequential.py [n_sims] [seed]     # 20,000 rollouts, seed 2026 (27 min)

``--unplanned``: the always-valid confidence sequence that decides looks nobody planned
(:mod:`rollout_metrics.infer.always_valid`), instead of the tables above: A/A false alarms,
joint coverage and one-sided false breaches over 8 and 56 looks, and its width against the
O'Brien–Fleming-type repeated interval and the fixed-horizon one at each of 8 weekly looks.

    .venv/bin/python benchmarks/sequential.py --unplanned [n_sims] [seed]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import pandas as pd
from scipy import stats

from rollout_metrics.infer.sequential import (
    design,
    information_fraction,
    margin_limit,
    sequential_table,
)

ALPHA = 0.05
SHARE = 0.75
PER_DAY = 40
DAYS = 56


def simulate(n: int, looks: int, seed: int, effect: float = 0.0
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per rollout and look: delta, pooled-z p-value, Wald interval (fixed horizon)."""
    rng = np.random.default_rng(seed)
    n_b = PER_DAY * DAYS
    x_b = rng.binomial(n_b, SHARE, size=n)
    daily = rng.binomial(PER_DAY, SHARE + effect, size=(n, DAYS))
    at = np.linspace(DAYS / looks, DAYS, looks).round().astype(int)
    x_a = np.cumsum(daily, axis=1)[:, at - 1]
    n_a = PER_DAY * at[None, :]
    p_b, p_a = (x_b / n_b)[:, None], x_a / n_a
    delta = p_a - p_b
    pooled = (x_b[:, None] + x_a) / (n_b + n_a)
    se0 = np.sqrt(pooled * (1 - pooled) * (1 / n_b + 1 / n_a))
    p = 2 * stats.norm.sf(np.abs(delta) / se0)
    se = np.sqrt(p_b * (1 - p_b) / n_b + p_a * (1 - p_a) / n_a)
    z = stats.norm.isf(ALPHA / 2)
    return delta, p, delta - z * se, delta + z * se


def run_looks(delta: np.ndarray, p: np.ndarray, lo: np.ndarray, hi: np.ndarray,
              spending: str, ratio: float = 1.0, method: str = "group_sequential"
              ) -> dict[str, np.ndarray]:
    n, looks = delta.shape
    shares = np.arange(1, looks + 1) / looks
    sig = np.zeros((n, looks), bool)
    cover = np.zeros((n, looks), bool)
    upper = np.zeros((n, looks))
    width = np.zeros((n, looks))
    truth = np.zeros(n)
    for k in range(looks):
        rows = pd.DataFrame({"comparison": "after_vs_before", "delta": delta[:, k],
                             "p_value": p[:, k], "ci_low": lo[:, k], "ci_high": hi[:, k]})
        t = sequential_table(rows, shares[: k + 1], alpha=ALPHA, spending=spending,
                             correction="none", ratio=ratio, method=method)
        sig[:, k] = t["seq_significant"].to_numpy(bool)
        cover[:, k] = (t["seq_ci_low"] <= truth) & (truth <= t["seq_ci_high"])
        width[:, k] = t["seq_ci_high"] - t["seq_ci_low"]
        upper[:, k] = margin_limit(delta[:, k], t["seq_se"], True,
                                   information_fraction(shares[: k + 1], ratio), ALPHA,
                                   spending, method=method)
    return {"sig": sig, "cover": cover, "upper": upper, "width": width}


def rate(x: np.ndarray) -> str:
    m = float(x.mean())
    return f"{m:.4f} ± {math.sqrt(m * (1 - m) / x.size):.4f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("n_sims", nargs="?", type=int, default=20_000)
    ap.add_argument("seed", nargs="?", type=int, default=2026)
    ap.add_argument("--unplanned", action="store_true",
                    help="the always-valid confidence sequence of unplanned looks")
    args = ap.parse_args()
    if args.unplanned:
        unplanned(args.n_sims, args.seed)
        return
    start = time.perf_counter()
    print(f"A/A: {args.n_sims:,} rollouts, share {SHARE}, {PER_DAY} responses/day, "
          f"{DAYS}-day before and after windows, alpha {ALPHA} (rate ± Monte Carlo SE)\n")
    print("| looks | rule | any false alarm (two-sided) | RCI covers 0 at every look | "
          "false breach `delta < 0` (one-sided) | 3 guardrails, any |")
    print("|---|---|---|---|---|---|")
    for looks in (8, 56):
        delta, p, lo, hi = simulate(args.n_sims, looks, args.seed + looks)
        naive = (p < ALPHA).any(axis=1)
        naive_cover = ((lo <= 0) & (hi >= 0)).all(axis=1)
        naive_one = (hi < 0).any(axis=1)  # the one-sided 97.5% bound, checked at every look
        naive_fam = 1 - (1 - naive_one.mean()) ** 3
        print(f"| {looks} | fixed-horizon 5% at every look | {rate(naive)} | "
              f"{rate(naive_cover)} | {rate(naive_one)} (97.5% bound) | {naive_fam:.3f} |")
        one_look = float((p[:, -1] < ALPHA).mean())
        print(f"| {looks} | fixed-horizon 5%, last look only | {one_look:.4f} | | | |")
        for spending in ("obrien_fleming", "pocock"):
            out = run_looks(delta, p, lo, hi, spending)
            breach = (out["upper"] < 0).any(axis=1)
            fam = 1 - (1 - breach.mean()) ** 3
            print(f"| {looks} | sequential, {spending} | {rate(out['sig'].any(axis=1))} | "
                  f"{rate(out['cover'].all(axis=1))} | {rate(breach)} | {fam:.3f} |")
        if looks > 8:
            continue  # the contrast shows at 8 looks; 56 more would double the run time
        out = run_looks(delta, p, lo, hi, "obrien_fleming", ratio=0.0)
        print(f"| {looks} | sequential, obrien_fleming, calendar share as information | "
              f"{rate(out['sig'].any(axis=1))} | {rate(out['cover'].all(axis=1))} | | |")
    # power: the effect a fixed-horizon test at the end detects with probability 0.8
    se_end = math.sqrt(2 * SHARE * (1 - SHARE) / (PER_DAY * DAYS))
    effect = -(stats.norm.isf(ALPHA / 2) + stats.norm.isf(0.2)) * se_end
    print(f"\nTrue effect {effect:+.4f} (power 0.8 of the fixed-horizon test at day {DAYS}); "
          f"{args.n_sims:,} rollouts\n")
    print("| looks | rule | power by the last look | mean look of first detection "
          "(of detected) | mean day |")
    print("|---|---|---|---|---|")
    for looks in (8, 56):
        delta, p, lo, hi = simulate(args.n_sims, looks, args.seed + 100 + looks, effect)
        end = p[:, -1] < ALPHA
        print(f"| {looks} | fixed-horizon at the end | {rate(end)} | {looks} | {DAYS} |")
        for spending in ("obrien_fleming", "pocock"):
            sig = run_looks(delta, p, lo, hi, spending)["sig"]
            hit = sig.any(axis=1)
            first = sig.argmax(axis=1)[hit] + 1
            print(f"| {looks} | sequential, {spending} | {rate(hit)} | {first.mean():.2f} | "
                  f"{first.mean() * DAYS / looks:.1f} |")
    d = design(information_fraction(np.arange(1, 9) / 8), ALPHA)
    print(f"\nWeekly O'Brien–Fleming-type boundaries (r = 1): "
          f"{', '.join(f'{c:.3f}' for c in d.bounds)}")
    print(f"({time.perf_counter() - start:.0f} s)")


def unplanned(n_sims: int, seed: int) -> None:
    """A/A calibration and width of the confidence sequence (``--unplanned``)."""
    start = time.perf_counter()
    print(f"A/A, always-valid confidence sequence: {n_sims:,} rollouts, share {SHARE}, "
          f"{PER_DAY} responses/day, {DAYS}-day windows, alpha {ALPHA} (rate ± Monte Carlo "
          "SE)\n")
    print("| looks | any false alarm (two-sided) | interval covers 0 at every look | "
          "false breach `delta < 0` (one-sided) |")
    print("|---|---|---|---|")
    widths = {}
    for looks in (8, 56):
        delta, p, lo, hi = simulate(n_sims, looks, seed + looks)
        out = run_looks(delta, p, lo, hi, "obrien_fleming", method="confidence_sequence")
        print(f"| {looks} | {rate(out['sig'].any(axis=1))} | {rate(out['cover'].all(axis=1))}"
              f" | {rate((out['upper'] < 0).any(axis=1))} |")
        if looks == 8:
            gs = run_looks(delta, p, lo, hi, "obrien_fleming")
            widths = {"cs": out["width"], "gs": gs["width"], "fixed": hi - lo}
    print("\nWidth at each of 8 weekly looks (median over rollouts), ratio to the fixed-horizon "
          "95% interval of the same look\n")
    print("| look | information | confidence sequence | O'Brien–Fleming-type RCI | "
          "CS / RCI |")
    print("|---|---|---|---|---|")
    info = information_fraction(np.arange(1, 9) / 8)
    for k in range(8):
        cs = float(np.median(widths["cs"][:, k] / widths["fixed"][:, k]))
        gs = float(np.median(widths["gs"][:, k] / widths["fixed"][:, k]))
        print(f"| {k + 1} | {info[k]:.3f} | {cs:.2f} | {gs:.2f} | {cs / gs:.2f} |")
    print(f"({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
