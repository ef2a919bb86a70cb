"""Difference-in-differences with unaffected control units (segments, regions...).

Input: a panel with one row per (unit, date), e.g. a daily KPI per segment. The change
date belongs to ``after``. Rows of the table (term):

* ``did_2x2`` - (T_after - T_before) - (C_after - C_before) from period means (weighted
  means with ``weights``): the interaction of a saturated group x period regression.
* ``did_twfe`` - two-way fixed effects over the period series: unit and date fixed
  effects plus treated x post.
* ``pre_trend`` - placebo check on the ``before`` window only: unit and date fixed effects
  plus treated x linear trend; ``delta`` is the difference in slope per day. A small
  p-value says the groups were already drifting apart (parallel trends doubtful).
* ``did_stacked`` - staggered rollout (``change_date`` a mapping unit -> date): naive TWFE
  across cohorts compares later with earlier-treated units and can be badly biased
  (Goodman-Bacon 2021). Instead each cohort gets its own 2x2 "stack": its units against
  the units not yet treated during the stack's window (later cohorts, until the next
  cohort starts) and the never-treated units (Cengiz et al. 2019). One regression over
  the stacked data with stack-specific unit and date effects gives every cohort's effect.
  The headline is their average weighted by treated units x post periods (the treated
  unit-periods each cohort contributes). Per-cohort 2x2 rows are reported as ``did_2x2``.

Inference (:mod:`rollout_metrics.designs.did_inference`). Our units are segments, often one
treated among 2-10, where cluster-robust (CR1) standard errors are invalid (measured: 0.24 to
0.5 false positives with one treated unit, zero-width intervals with two units). Each row's
test is chosen by one rule, named in ``method`` (``<term>_<test>``) and in
``model_info["inference"]``:

* at least 5 treated and 5 control units: restricted wild cluster bootstrap-t with Webb
  weights, clustered by unit (``..._wild_cluster_bootstrap``); estimates as above.
* otherwise, with at least 12 dates before and 12 after (42 before for ``pre_trend``): the
  treated-minus-control gap series (per date, each unit's own before level taken out), AR(1)
  errors and a bootstrap-t (``..._gap_ar1_bootstrap``). ``did_2x2`` is then the difference
  of the gap's period means (weighted by the gap's precision; in a balanced panel with equal
  weights, the 2x2 of means), ``did_twfe`` the feasible GLS estimate of the gap's shift,
  ``pre_trend`` the gap's slope before the change; ``before``/``after`` are the gap's
  period means.
* otherwise: randomisation over the assignments of as many treated units among the units
  (``..._randomisation``). With fewer than 1 / alpha assignments (one treated of fewer than
  20) it cannot reach significance: status ``cannot_reach_significance``, no p-value or
  interval (``model_info`` keeps the randomisation p and its floor).

A staggered design with fewer than 5 treated or 5 never-treated units tests each cohort's
stack by the rule and combines the cohorts' intervals at ``alpha / K`` (Bonferroni over
K cohorts; valid whatever their dependence through shared controls, conservative) for
``did_stacked`` and ``pre_trend`` (``..._bonferroni``).

Intervals are the values each test does not reject, so a row is significant (unadjusted p
below ``alpha``) exactly when its interval excludes 0. The unit and date fixed effects are
absorbed in closed form (Frisch-Waugh-Lovell; one dates x dates solve): no pseudo-inverse or
SVD of the dummy design. An indicator collinear with the fixed effects (e.g. units observed
on disjoint dates) has no estimate: NaN values and status ``not_identified``; a standard
error that is rounding noise gives status ``degenerate``. For each row ``before``/``after``
are the treated-minus-control gaps in the two periods,
``delta_rel = delta / (treated after mean - delta)`` (relative to the counterfactual).

Table labels: ``comparison`` is ``after_vs_before`` on every row (``pre_trend`` checks the
assumption behind that comparison), ``by`` the unit column, ``segment`` the treated units
joined with " + " (a cohort's units on its staggered ``did_2x2`` row), and all rows of a
call are one family for ``p_adjusted`` and ``significant``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from rollout_metrics.designs._common import (
    FloatArray,
    Inference,
    check_options,
    coerce_dates,
    effect_row,
    finish_table,
    html_table,
    infer,
    require_columns,
    require_finite,
    to_timestamp,
)
from rollout_metrics.designs._panel import Projector, fixed_effects
from rollout_metrics.designs.did_inference import (
    MIN_CLUSTERS,
    GapSeries,
    RowTest,
    assignments,
    choose_inference,
    combine_bonferroni,
    gap_series,
    gap_tests,
    gap_trend_test,
    randomisation_test,
    wild_cluster_test,
)
from rollout_metrics.errors import DataValidationError, InsufficientDataError, PeriodError

__all__ = ["DidResult", "did", "did_from_summary"]

#: The rows of a one-date design, in table order.
TERMS = ("did_2x2", "did_twfe", "pre_trend")


@dataclass(frozen=True, slots=True)
class DidResult:
    """Outcome of :func:`did` or :func:`did_from_summary`.

    Attributes
    ----------
    table : pandas.DataFrame
        Tidy rows in :data:`~rollout_metrics.designs._common.DESIGN_COLUMNS` (``term``:
        ``did_2x2``, ``did_twfe``, ``did_stacked``, ``pre_trend``), one family for
        ``p_adjusted`` and ``significant``; :func:`~rollout_metrics.did_metric` adds the
        ``by`` column.
    means : pandas.DataFrame
        Per-period means for plotting: ``date, period, group, mean, n_units``
        (``group`` is ``treated``/``control``, or ``cohort <date>``/``never treated``).
    model_info : Mapping[str, Any]
        ``n_units, n_treated, n_clusters, df``; ``inference``: per row the test that ran
        (``test``) and what it reports besides (CR1 SE of the wild bootstrap, rho of the gap
        series, assignments and p floor of the randomisation test); ``gap_dates`` (dates of
        the gap series before and after) and, for staggered rollouts, ``cohorts`` (per
        cohort: date, units, weight, included, its rows' inference). From
        :func:`~rollout_metrics.did_metric`: that mapping per metric.
    alpha : float
        The CIs are ``1 - alpha`` intervals.
    """

    table: pd.DataFrame
    means: pd.DataFrame
    model_info: Mapping[str, Any]
    alpha: float = 0.05

    def to_frame(self) -> pd.DataFrame:
        """The effects table (a copy)."""
        return self.table.copy()

    def _repr_html_(self) -> str:
        return html_table("Difference-in-differences", self.table)


def did_from_summary(
    treated_before: float,
    treated_after: float,
    control_before: float,
    control_after: float,
    se_change_treated: float,
    se_change_control: float,
    *,
    alpha: float = 0.05,
    correction: str = "fdr_bh",
    metric: str = "value",
    by: str = "",
    segment: str = "treated",
    units: str = "",
) -> DidResult:
    """2x2 difference-in-differences from published group means.

    ``delta = (treated_after - treated_before) - (control_after - control_before)`` with
    ``se = sqrt(se_change_treated**2 + se_change_control**2)`` (independent groups) and a
    normal reference. ``alpha``, ``correction`` and the labels ``metric``, ``by``,
    ``segment``, ``units`` are as in :func:`did`.

    Examples
    --------
    Card & Krueger (1994), Table 3, FTE employment NJ (treated) vs PA:

    >>> r = did_from_summary(20.44, 21.03, 23.33, 21.17, 0.54, 1.25)
    >>> round(float(r.table.loc[0, "delta"]), 2)
    2.75
    """
    check_options(alpha, correction)
    delta = (treated_after - treated_before) - (control_after - control_before)
    inf = infer(delta, math.hypot(se_change_treated, se_change_control), math.inf, alpha)
    counterfactual = treated_after - delta
    rel = delta / counterfactual if counterfactual else math.nan
    row = effect_row("did_2x2", "after_vs_before", (math.nan, math.nan),
                     (treated_before - control_before, treated_after - control_after), inf,
                     rel, method="did_summary", status="ok")
    means = pd.DataFrame(
        {
            "date": pd.NaT,
            "period": ["before", "after", "before", "after"],
            "group": ["treated", "treated", "control", "control"],
            "mean": [treated_before, treated_after, control_before, control_after],
            "n_units": math.nan,
        }
    )
    info = {"se": inf.se, "df": math.inf}
    labels = {"metric": metric, "by": by, "segment": segment, "units": units}
    return DidResult(finish_table([row], alpha=alpha, correction=correction, **labels), means,
                     info, alpha)


def did(
    frame: pd.DataFrame,
    *,
    date: str = "date",
    unit: str = "unit",
    value: str = "value",
    treated: Sequence[Any] | None = None,
    change_date: Any,
    weights: str | None = None,
    alpha: float = 0.05,
    correction: str = "fdr_bh",
    metric: str = "value",
    segment: str | None = None,
    units: str = "",
    n_resamples: int = 999,
    seed: int = 0,
) -> DidResult:
    """Difference-in-differences of ``value`` between treated and control units.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per (unit, date); not modified.
    date, unit, value : str
        Column names.
    treated : sequence, optional
        Treated units (all others are controls). Not needed when ``change_date`` is a
        mapping.
    change_date : date-like or Mapping[unit, date | None]
        First ``after`` date (it belongs to ``after``). A mapping gives each unit its
        own date (staggered rollout); units absent or mapped to None are never treated.
    weights : str, optional
        Column of precision weights (e.g. responses behind each mean): weighted means
        and weighted least squares.
    alpha : float
        Level of the tests; CIs are ``1 - alpha``.
    correction : {"fdr_bh", "holm", "by", "none"}
        Adjustment of the p-values over the rows of the table (one family):
        Benjamini-Hochberg (default), Holm, Benjamini-Yekutieli or none.
    metric, units : str
        Labels of the table rows (``pre_trend`` is in ``"<units> per day"``). ``by`` is
        the name of the ``unit`` column.
    segment : str, optional
        Label of every row; default the treated units joined with " + " (on a staggered
        rollout, each cohort's ``did_2x2`` row names that cohort's units).
    n_resamples, seed : int
        Bootstrap samples of the wild cluster and AR(1) bootstrap tests (at least
        ``2 / alpha - 1``) and the seed of every random draw (bootstrap weights and series,
        sampled assignments): the same inputs give the same table.

    Returns
    -------
    DidResult

    Raises
    ------
    MissingColumnError, DataValidationError
        Absent column, NaN, duplicated (unit, date), unknown treated unit, treated units
        missing or disagreeing with a change-date mapping, bad ``alpha`` or
        ``correction``.
    PeriodError
        A change date outside the series.
    InsufficientDataError
        No control units, or a group without points before or after.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> dates = pd.date_range("2024-01-01", periods=20, freq="D")
    >>> panel = pd.DataFrame([(u, d) for u in "ABCDEFGHIJKL" for d in dates],
    ...                      columns=["unit", "date"])
    >>> effect = 2.0 * (panel["unit"].isin(["A", "B", "C", "D"]) & (panel["date"] >= "2024-01-11"))
    >>> panel["value"] = 10 + effect + rng.normal(0, 0.5, len(panel))
    >>> res = did(panel, treated=["A", "B", "C", "D"], change_date="2024-01-11")
    >>> row = res.table.set_index("term").loc["did_twfe"]
    >>> bool(row["ci_low"] < 2.0 < row["ci_high"])
    True
    >>> row[["by", "segment", "comparison"]].tolist()
    ['unit', 'A + B + C + D', 'after_vs_before']
    """
    check_options(alpha, correction)
    require_columns(frame, [date, unit, value, weights])
    require_finite(frame, [value, weights])
    data = pd.DataFrame(
        {
            "date": coerce_dates(frame[date], date),
            "unit": frame[unit].to_numpy(),
            "y": pd.to_numeric(frame[value]).to_numpy(dtype=float),
            "w": 1.0 if weights is None else pd.to_numeric(frame[weights]).to_numpy(dtype=float),
        }
    )
    if (data["w"] <= 0).any():
        raise DataValidationError(f"column {weights!r} must be > 0")
    dup = data.duplicated(["unit", "date"])
    if dup.any():
        raise DataValidationError(
            f"{int(dup.sum())} duplicated ({unit}, {date}) row(s), first: "
            f"{data.loc[dup, ['unit', 'date']].head(3).to_numpy().tolist()}; "
            "did() needs one row per unit and date"
        )
    unit_values = list(pd.unique(data["unit"]))
    tz = data["date"].dt.tz
    first, last = data["date"].min(), data["date"].max()
    starts = _unit_dates(change_date, treated, unit_values, tz, unit)
    for u, d in starts.items():
        if not first < d <= last:
            raise PeriodError(
                f"change date {d} of unit {u!r} is outside the series, which runs from "
                f"{first} to {last}"
            )
    n_controls = len(unit_values) - len(starts)
    if n_controls == 0 and len(set(starts.values())) == 1:
        raise InsufficientDataError(
            f"no control units: all {len(unit_values)} units are treated; pass fewer treated "
            "units"
        )
    data["start"] = data["unit"].map(starts)
    data["t"] = (data["date"] - first) / pd.Timedelta(days=1)
    label = _join(starts) if segment is None else segment
    labels = {"metric": metric, "by": unit, "segment": label, "units": units}
    if math.ceil(alpha * (n_resamples + 1)) < 2:
        raise DataValidationError(
            f"n_resamples={n_resamples} is too few for alpha={alpha}: at least "
            f"{math.ceil(2 / alpha) - 1} are needed")
    opts = _Options(alpha, n_resamples, np.random.default_rng(seed), units)
    if len(set(starts.values())) == 1:
        change = next(iter(starts.values()))
        rows, means, info = _did_single(data, change, opts)
    else:
        cohorts = sorted(set(starts.values()))
        rows, means, info = _did_staggered(data, cohorts, opts, segment is None)
    return DidResult(finish_table(rows, alpha=alpha, correction=correction, **labels), means,
                     info, alpha)


def _join(units: Any) -> str:
    """Units as one label: sorted, joined with " + "."""
    return " + ".join(sorted(map(str, units)))


def _slope_units(units: str) -> str:
    return f"{units} per day" if units else "per day"


def _unit_dates(
    change_date: Any, treated: Sequence[Any] | None, units: list[Any], tz: Any, name: str
) -> dict[Any, pd.Timestamp]:
    """Treated unit -> its change date, after checking every unit named exists."""
    if isinstance(change_date, Mapping):
        named = {u: d for u, d in change_date.items() if d is not None and not pd.isna(d)}
        if treated is not None and set(treated) != set(named):
            raise DataValidationError("treated= disagrees with the units dated in change_date")
    else:
        if treated is None or isinstance(treated, str) or len(treated) == 0:
            raise DataValidationError(
                "pass treated=[...] (a list of units) with a single change_date")
        named = dict.fromkeys(treated, change_date)
    unknown = [u for u in named if u not in set(units)]
    if unknown:
        raise DataValidationError(
            f"unknown {name} value(s) {unknown}; available units: {sorted(map(str, units))}"
        )
    return {u: to_timestamp(d, tz, f"change date of {u!r}") for u, d in named.items()}


def _wmean(d: pd.DataFrame) -> float:
    return float(np.sum(d["y"] * d["w"]) / np.sum(d["w"])) if len(d) else math.nan


def _gaps(d: pd.DataFrame) -> tuple[tuple[float, float], tuple[float, float]]:
    """(T_before, T_after), (gap_before, gap_after) of a frame with ``tr``/``post``."""
    m = {(tr, po): _wmean(d[(d["tr"] == tr) & (d["post"] == po)]) for tr in (1, 0) for po in (0, 1)}
    return (m[1, 0], m[1, 1]), (m[1, 0] - m[0, 0], m[1, 1] - m[0, 1])


def _check_cells(d: pd.DataFrame, what: str) -> None:
    cells = d.groupby(["tr", "post"]).size()
    need = [(tr, po) for tr in (1, 0) for po in (0, 1) if cells.get((tr, po), 0) == 0]
    if need:
        names = [
            f"{'treated' if tr else 'control'} {'after' if po else 'before'}" for tr, po in need
        ]
        raise InsufficientDataError(f"{what}: no points in {', '.join(names)}; rows per "
                                    f"cell: {cells.to_dict()}")  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Options:
    alpha: float
    n_resamples: int
    rng: np.random.Generator
    units: str


Tests = dict[str, RowTest]
Fitted = tuple[list[dict[str, Any]], pd.DataFrame, dict[str, Any]]


def _unit_codes(d: pd.DataFrame) -> tuple[list[Any], NDArray[np.intp]]:
    units, codes = np.unique(d["unit"].astype(str).to_numpy(), return_inverse=True)
    return list(units), codes.astype(np.intp)


def _ri_2x2(d: pd.DataFrame, masks: NDArray[np.bool_]) -> tuple[FloatArray, FloatArray]:
    """The 2x2 of weighted period means under every assignment (rows of ``masks``), on the
    data and on the observed treatment indicator."""
    _, codes = _unit_codes(d)
    post = d["post"].to_numpy(dtype=int)
    n_units = masks.shape[1]
    w, wy = d["w"].to_numpy(float), (d["w"] * d["y"]).to_numpy(float)
    treat = (d["tr"] * d["post"]).to_numpy(float)

    def sums(v: FloatArray) -> FloatArray:
        out = np.zeros((n_units, 2))
        np.add.at(out, (codes, post), v)
        return out

    weight, s_y, s_d = sums(w), sums(wy), sums(w * treat)
    m = masks.astype(float)

    def estimate(s: FloatArray) -> FloatArray:
        with np.errstate(divide="ignore", invalid="ignore"):
            tr = (m @ s) / (m @ weight)
            co = ((1 - m) @ s) / ((1 - m) @ weight)
        return np.asarray((tr[:, 1] - tr[:, 0]) - (co[:, 1] - co[:, 0]), dtype=np.float64)

    return estimate(s_y), estimate(s_d)


def _ri_regressor(d: pd.DataFrame, masks: NDArray[np.bool_], base: FloatArray,
                  project: Projector) -> tuple[FloatArray, FloatArray]:
    """The coefficient of ``treated x base`` (with the nuisance terms of ``project``) under
    every assignment, on the data and on the observed regressor."""
    _, codes = _unit_codes(d)
    regressors = masks[:, codes].T * base[:, None]
    moved = project(regressors)
    w = project.w
    den = np.sum(moved * moved * w[:, None], axis=0)
    scale = np.sum(regressors * regressors * w[:, None], axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        est = (moved * w[:, None]).T @ d["y"].to_numpy(float) / den
        eff = (moved * w[:, None]).T @ regressors[:, 0] / den
    bad = den <= 1e-10 * scale
    est[bad], eff[bad] = np.nan, np.nan
    return est, eff


def _tests(d: pd.DataFrame, opts: _Options, terms: Sequence[str]) -> tuple[Tests, GapSeries]:
    """The inference of the one-date rows ``terms`` (``did_2x2``, ``did_twfe``,
    ``pre_trend``) of a panel with ``tr`` and ``post``, by the rule of
    :func:`~rollout_metrics.designs.did_inference.choose_inference`."""
    units, codes = _unit_codes(d)
    tr_units = {units[c] for c in np.unique(codes[d["tr"].to_numpy() == 1])}
    n_treated, n_control = len(tr_units), len(units) - len(tr_units)
    gs = gap_series(d)
    n_before, n_after = int((~gs.post).sum()), int(gs.post.sum())
    y, w = d["y"].to_numpy(float), d["w"].to_numpy(float)
    tr, po = d["tr"].to_numpy(float), d["post"].to_numpy(float)
    scale = float(np.max(np.abs(y)))
    kw: dict[str, Any] = {"alpha": opts.alpha, "n_resamples": opts.n_resamples,
                          "rng": opts.rng, "scale": scale}
    masks: NDArray[np.bool_] | None = None
    possible = 0

    def draws() -> tuple[NDArray[np.bool_], int]:
        nonlocal masks, possible
        if masks is None:
            masks, possible = assignments(units, tr_units, opts.rng)
        return masks, possible

    out: Tests = {}
    effect = choose_inference(n_treated, n_control, n_before, n_after)
    if {"did_2x2", "did_twfe"} & set(terms):
        if effect == "wild_bootstrap":
            z = Projector(w, z=np.column_stack([np.ones(len(d)), tr, po]))
            out["did_2x2"] = wild_cluster_test(y, tr * po, d["unit"], z, **kw)
            fe = Projector(w, fe=fixed_effects(d))
            out["did_twfe"] = wild_cluster_test(y, tr * po, d["unit"], fe, **kw)
        elif effect == "gap":
            out["did_2x2"], out["did_twfe"] = gap_tests(gs, **kw)
        else:
            m, n_possible = draws()
            out["did_2x2"] = randomisation_test(*_ri_2x2(d, m), alpha=opts.alpha,
                                                possible=n_possible)
            fe = Projector(w, fe=fixed_effects(d))
            out["did_twfe"] = randomisation_test(*_ri_regressor(d, m, po, fe),
                                                 alpha=opts.alpha, possible=n_possible)
    if "pre_trend" in terms:
        out["pre_trend"] = _pre_trend(d, gs, n_treated, n_control, opts, kw, draws)
    return out, gs


def _pre_trend(d: pd.DataFrame, gs: GapSeries, n_treated: int, n_control: int,
               opts: _Options, kw: dict[str, Any],
               draws: Callable[[], tuple[NDArray[np.bool_], int]]) -> RowTest:
    """Treated x linear trend on the ``before`` window with unit and date effects (the gap's
    slope in the gap regime): a placebo check of parallel trends."""
    pre = d[d["post"] == 0].reset_index(drop=True)
    n_before = int((~gs.post).sum())
    if pre["date"].nunique() < 3 or pre["tr"].nunique() < 2:
        return RowTest(Inference(math.nan, math.nan, math.nan, math.nan, math.nan, math.nan),
                       "none", "insufficient_data")
    regime = choose_inference(n_treated, n_control, n_before, 0, trend=True)
    if regime == "gap":
        return gap_trend_test(gs, **kw)
    trend = (pre["t"] - pre["t"].mean()).to_numpy(float)
    fe = Projector(pre["w"].to_numpy(float), fe=fixed_effects(pre))
    if regime == "wild_bootstrap":
        x = pre["tr"].to_numpy(float) * trend
        return wild_cluster_test(pre["y"].to_numpy(float), x, pre["unit"], fe, **kw)
    masks, possible = draws()
    units, _ = _unit_codes(d)
    kept, _ = _unit_codes(pre)
    cols = [units.index(u) for u in kept]
    return randomisation_test(*_ri_regressor(pre, masks[:, cols], trend, fe),
                              alpha=opts.alpha, possible=possible)


def _gap_means(gs: GapSeries) -> tuple[float, float]:
    """The gap's precision-weighted means before and after (the gap regime's 2x2 levels)."""
    v = gs.weight
    return (float(np.average(gs.gap[~gs.post], weights=v[~gs.post])),
            float(np.average(gs.gap[gs.post], weights=v[gs.post])))


def _did_single(data: pd.DataFrame, change: pd.Timestamp, opts: _Options) -> Fitted:
    d = data.assign(tr=data["start"].notna().astype(int), post=(data["date"] >= change).astype(int))
    _check_cells(d, "difference-in-differences")
    n_units = d["unit"].nunique()
    n_bef, n_aft = int((d["post"] == 0).sum()), int((d["post"] == 1).sum())
    (_, t_after), gaps = _gaps(d)
    tests, gs = _tests(d, opts, TERMS)
    rows = []
    for term in ("did_2x2", "did_twfe"):
        test = tests[term]
        levels = _gap_means(gs) if test.regime == "gap" else gaps
        rows.append(_row(term, (n_bef, n_aft), levels, test, t_after))
    rows.append(_row("pre_trend", (n_bef, 0), (math.nan, math.nan), tests["pre_trend"],
                     math.nan, units=_slope_units(opts.units)))
    group = np.where(d["tr"] == 1, "treated", "control")
    n_treated = int(d.loc[d["tr"] == 1, "unit"].nunique())
    info = {"n_units": n_units, "n_treated": n_treated, "n_clusters": n_units,
            "df": n_units - 1, "change_date": change, "inference": _inference_info(tests),
            "gap_dates": (int((~gs.post).sum()), int(gs.post.sum()))}
    return rows, _means(d, group), info


def _inference_info(tests: Mapping[str, RowTest]) -> dict[str, Any]:
    return {term: {"test": t.suffix, "status": t.status, **t.info} for term, t in tests.items()}


def _stacks(data: pd.DataFrame, cohorts: list[pd.Timestamp]
            ) -> tuple[list[tuple[pd.Timestamp, pd.DataFrame]], list[dict[str, Any]]]:
    """Each cohort's 2x2 stack (its units against the not-yet and never treated ones, until
    the next cohort starts), and the cohorts left out with the reason."""
    stacks: list[tuple[pd.Timestamp, pd.DataFrame]] = []
    skipped: list[dict[str, Any]] = []
    for k, start in enumerate(cohorts):
        end = cohorts[k + 1] if k + 1 < len(cohorts) else None
        mine = data["start"] == start
        clean = data["start"].isna() | (data["start"] >= end if end is not None else False)
        d = data[(mine | clean) & ((data["date"] < end) if end is not None else True)]
        d = d.assign(tr=mine[d.index].astype(int), post=(d["date"] >= start).astype(int),
                     stack=k)  # fmt: skip
        entry = {"date": start, "units": sorted(map(str, d.loc[d["tr"] == 1, "unit"].unique()))}
        try:
            _check_cells(d, f"cohort {start.date()} vs not-yet-treated")
        except InsufficientDataError as exc:
            skipped.append({**entry, "weight": 0.0, "included": False, "reason": str(exc)})
            continue
        stacks.append((start, d.reset_index(drop=True)))
    return stacks, skipped


def _did_staggered(
    data: pd.DataFrame, cohorts: list[pd.Timestamp], opts: _Options, name_cohorts: bool,
) -> Fitted:  # fmt: skip
    stacks, skipped = _stacks(data, cohorts)
    if not stacks:
        raise InsufficientDataError(
            "staggered difference-in-differences: no cohort has treated and clean control "
            "units with points before and after its change date"
        )
    n_units = data["unit"].nunique()
    treated_units = data.loc[data["start"].notna(), "unit"].nunique()
    never = data.loc[data["start"].isna(), "unit"].nunique()
    pooled = "wild_bootstrap" if min(treated_units, never) >= MIN_CLUSTERS else "bonferroni"
    terms = ["did_2x2"] if pooled == "wild_bootstrap" else TERMS
    rows: list[dict[str, Any]] = []
    cohort_info: list[dict[str, Any]] = []
    cohort_tests: list[Tests] = []
    shifted = []
    for k, (start, d) in enumerate(stacks):
        (_, t_after), gaps = _gaps(d)
        tests, gs = _tests(d, opts, terms)
        cohort_tests.append(tests)
        test = tests["did_2x2"]
        levels = _gap_means(gs) if test.regime == "gap" else gaps
        n_b, n_a = int((d["post"] == 0).sum()), int((d["post"] == 1).sum())
        row = _row("did_2x2", (n_b, n_a), levels, test, t_after)
        if name_cohorts:
            row["segment"] = _join(sorted(map(str, d.loc[d["tr"] == 1, "unit"].unique())))
        rows.append(row)
        # weight: treated unit x post periods the cohort contributes
        weight = float(((d["tr"] == 1) & (d["post"] == 1)).sum())
        cohort_info.append({"date": start, "units": sorted(map(str, d.loc[d["tr"] == 1,
                            "unit"].unique())), "weight": weight, "included": True,
                            "inference": _inference_info(tests)})  # fmt: skip
        shifted.append(d.assign(stack=k, t=d["t"] - (start - data["date"].min()) / pd.Timedelta(
            days=1)))
    s = pd.concat(shifted, ignore_index=True)
    wts = np.array([c["weight"] for c in cohort_info])
    wts = wts / wts.sum()
    if pooled == "wild_bootstrap":
        stacked, pre = _stacked_wild(s, wts, opts)
    else:
        stacked = combine_bonferroni([t["did_twfe"] for t in cohort_tests], wts,
                                     alpha=opts.alpha)
        pre = combine_bonferroni([t["pre_trend"] for t in cohort_tests], wts, alpha=opts.alpha)
    before = float(wts @ [r["before"] for r in rows])
    after = float(wts @ [r["after"] for r in rows])
    t_after = float(wts @ [r["after"] + r["_ref"] for r in rows])
    n_b, n_a = int((s["post"] == 0).sum()), int((s["post"] == 1).sum())
    rows.append(_row("did_stacked", (n_b, n_a), (before, after), stacked, t_after))
    rows.append(_row("pre_trend", (n_b, 0), (math.nan, math.nan), pre, math.nan,
                     units=_slope_units(opts.units)))
    group = np.where(data["start"].isna(), "never treated",
                     "cohort " + data["start"].dt.date.astype(str))  # fmt: skip
    info = {"n_units": n_units, "n_treated": treated_units, "n_clusters": s["unit"].nunique(),
            "df": s["unit"].nunique() - 1, "cohorts": cohort_info + skipped,
            "inference": {"did_stacked": {"test": stacked.suffix, **stacked.info},
                          "pre_trend": {"test": pre.suffix, **pre.info}}}
    return rows, _means(data, group), info


def _stacked_wild(s: pd.DataFrame, wts: FloatArray, opts: _Options) -> tuple[RowTest, RowTest]:
    """Wild cluster bootstrap of the cohort-weighted effect and of the stacked pre-trend.

    The stacked regression has one treated x post column per stack; the weighted effect
    ``w'b`` is the coefficient of the first column after the reparametrisation
    ``X_0 / w_0``, ``X_j - (w_j / w_0) X_0`` (same fit, ``w'b`` as one coefficient)."""
    ids = sorted(s["stack"].unique())
    inter = np.column_stack([(s["stack"] == k).to_numpy(float) for k in ids])
    inter *= (s["tr"] * s["post"]).to_numpy(float)[:, None]
    first = inter[:, 0] / wts[0]
    others = inter[:, 1:] - np.outer(inter[:, 0], wts[1:] / wts[0])
    y, w = s["y"].to_numpy(float), s["w"].to_numpy(float)
    kw: dict[str, Any] = {"alpha": opts.alpha, "n_resamples": opts.n_resamples,
                          "rng": opts.rng, "scale": float(np.max(np.abs(y)))}
    project = Projector(w, fe=fixed_effects(s, "stack"),
                        z=others if others.shape[1] else None)
    stacked = wild_cluster_test(y, first, s["unit"], project, **kw)
    pre = s[s["post"] == 0].reset_index(drop=True)
    if pre["date"].nunique() < 3 or pre["tr"].nunique() < 2:
        nan = math.nan
        return stacked, RowTest(Inference(nan, nan, nan, nan, nan, nan), "none",
                                "insufficient_data")
    trend = pre["tr"].to_numpy(float) * (pre["t"] - pre["t"].mean()).to_numpy(float)
    fe = Projector(pre["w"].to_numpy(float), fe=fixed_effects(pre, "stack"))
    return stacked, wild_cluster_test(pre["y"].to_numpy(float), trend, pre["unit"], fe, **kw)


def _means(d: pd.DataFrame, group: Any) -> pd.DataFrame:
    g = d.assign(group=group, yw=d["y"] * d["w"], period=np.where(
        d["date"] >= d["start"].min(), "after", "before"))  # fmt: skip
    out = g.groupby(["date", "period", "group"], as_index=False).agg(
        yw=("yw", "sum"), w=("w", "sum"), n_units=("unit", "nunique")
    )
    out["mean"] = out["yw"] / out["w"]
    return out[["date", "period", "group", "mean", "n_units"]]


def _row(
    term: str, n: tuple[float, float], gaps: tuple[float, float], test: RowTest,
    treated_after: float, **labels: Any,
) -> dict[str, Any]:  # fmt: skip
    """An ``after_vs_before`` row; ``delta_rel`` is relative to the counterfactual treated-after
    mean; ``labels`` set row-specific columns (``units``, ``segment``). ``method`` names the
    term and the test (:data:`~rollout_metrics.designs.did_inference.METHOD_SUFFIX`)."""
    inf = test.inference
    status = test.status
    if math.isnan(inf.estimate) and status not in ("insufficient_data", "not_identified"):
        status = "not_identified"
    method = term if test.regime == "none" else f"{term}_{test.suffix}"
    counterfactual = treated_after - inf.estimate
    rel = inf.estimate / counterfactual if counterfactual else math.nan
    return effect_row(term, "after_vs_before", n, gaps, inf, rel, method=method, status=status,
                      _ref=treated_after - gaps[1], **labels)  # fmt: skip
