"""Difference-in-differences with unaffected control units (segments, regions...).

Input: a panel with one row per (unit, date), e.g. a daily KPI per segment. The change
date belongs to ``after``. Rows of the table (term):

* ``did_2x2`` - (T_after - T_before) - (C_after - C_before) from period means (weighted
  means with ``weights``), computed as the interaction of a saturated group x period
  regression so that it gets a cluster-robust SE.
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
  the stacked data with stack-specific unit and date effects gives every cohort's effect
  and their joint covariance (clustered by the original unit, which may appear in several
  stacks). The headline is their average weighted by treated units x post periods (the
  treated unit-periods each cohort contributes), with SE sqrt(w' V w). Per-cohort 2x2
  rows are reported as ``did_2x2``.

Inference: cluster-robust (CR1) covariance by unit, the same numbers as statsmodels
``cov_type="cluster"`` with the small-sample factor G/(G-1) (N-1)/(N-K) and a t reference
on G - 1 degrees of freedom, as Stata's ``regress ..., vce(cluster unit)``. The unit and
date fixed effects are absorbed in closed form (Frisch-Waugh-Lovell; one dates x dates
solve), and the remaining few columns are fitted by QR: no pseudo-inverse or SVD of the
dummy design. With few clusters this is still
optimistic (Cameron, Gelbach & Miller 2008; MacKinnon & Webb 2017, one or two treated
units especially): rows with fewer than 10 units get status ``few_clusters``. An
indicator collinear with the fixed effects (e.g. units observed on disjoint dates) has no
estimate: NaN values and status ``not_identified``.
For each row ``before``/``after`` are the treated-minus-control gaps in the two periods,
``delta_rel = delta / (treated after mean - delta)`` (relative to the counterfactual).

Table labels: ``comparison`` is ``after_vs_before`` on every row (``pre_trend`` checks the
assumption behind that comparison), ``by`` the unit column, ``segment`` the treated units
joined with " + " (a cohort's units on its staggered ``did_2x2`` row), and all rows of a
call are one family for ``p_adjusted`` and ``significant``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.linalg import cho_factor, cho_solve, solve_triangular

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
from rollout_metrics.errors import DataValidationError, InsufficientDataError, PeriodError

__all__ = ["DidResult", "did", "did_from_summary"]

MIN_CLUSTERS = 10


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
        ``n_units, n_treated, n_clusters, df`` and, for staggered rollouts, ``cohorts``
        (per cohort: date, units, weight, included). From
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
    row = _row(
        "did_2x2", (math.nan, math.nan), (treated_before - control_before,
        treated_after - control_after), inf, treated_after, "did_summary", "ok",
    )  # fmt: skip
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
    if len(set(starts.values())) == 1:
        change = next(iter(starts.values()))
        rows, means, info = _did_single(data, change, alpha, units)
    else:
        cohorts = sorted(set(starts.values()))
        rows, means, info = _did_staggered(data, cohorts, alpha, units, segment is None)
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


@dataclass(frozen=True, slots=True)
class _FixedEffects:
    """Unit and date fixed effects as codes: every unit has an effect, every date but the
    first of its stack (``date == -1``) has one; the dummy design they stand for has
    ``n_params`` columns (full rank when units link every date to the first)."""

    unit: NDArray[np.intp]
    date: NDArray[np.intp]
    n_units: int
    n_dates: int

    @property
    def n_params(self) -> int:
        return self.n_units + self.n_dates


def _codes(*columns: Any) -> NDArray[np.intp]:
    """Codes 0..k-1 of the distinct combinations of ``columns`` (row-aligned arrays)."""
    combined = np.zeros(len(columns[0]), dtype=np.int64)
    for col in columns:
        codes, uniques = pd.factorize(np.asarray(col), use_na_sentinel=False)
        combined = combined * len(uniques) + codes
    return np.unique(combined, return_inverse=True)[1].astype(np.intp)


def _fixed_effects(d: pd.DataFrame, key: str | None = None) -> _FixedEffects:
    """Unit and date fixed effects of ``d`` (within ``key`` stacks when given)."""
    stack = np.zeros(len(d), dtype=np.int64) if key is None else d[key].to_numpy()
    dates = d["date"].to_numpy()
    unit = _codes(stack, d["unit"].to_numpy())
    first = dates == pd.Series(dates).groupby(stack).transform("min").to_numpy()
    date = np.full(len(d), -1, dtype=np.intp)
    if (~first).any():
        date[~first] = _codes(stack[~first], dates[~first])
    return _FixedEffects(unit, date, int(unit.max()) + 1, int(date.max()) + 1)


def _absorb(v: FloatArray, w: FloatArray, fe: _FixedEffects) -> FloatArray:
    """Residuals of the columns of ``v`` after weighted least squares on the fixed effects.

    Closed form of the normal equations: the unit effects are eliminated exactly
    (a = (S_u - M b) / W_u, with M the unit x date weight table), which leaves the
    Schur complement (diag(W_t) - M' diag(1/W_u) M) b = S_t - M' S_u / W_u in the date
    effects only: one small symmetric positive definite solve (dates x dates) instead of a
    decomposition of the n x (units + dates) dummy design.
    """
    kept = fe.date >= 0
    wv = w[:, None] * v
    w_u = np.bincount(fe.unit, weights=w, minlength=fe.n_units)
    s_u = np.zeros((fe.n_units, v.shape[1]))
    np.add.at(s_u, fe.unit, wv)
    s_t = np.zeros((fe.n_dates, v.shape[1]))
    np.add.at(s_t, fe.date[kept], wv[kept])
    m = np.zeros((fe.n_units, fe.n_dates))
    np.add.at(m, (fe.unit[kept], fe.date[kept]), w[kept])
    scaled = m / w_u[:, None]
    schur = np.diag(m.sum(axis=0)) - m.T @ scaled
    rhs = s_t - scaled.T @ s_u
    b = _solve_psd(schur, rhs)
    a = (s_u - m @ b) / w_u[:, None]
    fitted = a[fe.unit] + np.where(kept[:, None], b[np.maximum(fe.date, 0)], 0.0)
    return np.asarray(v - fitted, dtype=np.float64)


def _solve_psd(a: FloatArray, rhs: FloatArray) -> FloatArray:
    """``a^-1 rhs`` by Cholesky; the minimum-norm least-squares solution when ``a`` is
    singular (dates no unit links to the rest: their effects are not identified, the
    fitted values and residuals still are)."""
    if a.shape[0] == 0:
        return np.zeros_like(rhs)
    try:
        factor = cho_factor(a)
        pivots = np.abs(np.diag(factor[0]))
        if pivots.min() ** 2 > 1e-10 * np.max(np.diag(a)):
            return np.asarray(cho_solve(factor, rhs), dtype=np.float64)
    except np.linalg.LinAlgError:
        pass
    return np.asarray(np.linalg.lstsq(a, rhs, rcond=None)[0], dtype=np.float64)


def _cluster_fit(
    y: FloatArray, x: FloatArray, groups: Any, w: FloatArray, fe: _FixedEffects | None = None
) -> tuple[FloatArray, FloatArray, float]:
    """Coefficients of ``x``, their CR1 covariance by ``groups`` and the t df (G - 1).

    Weighted least squares of ``y`` on ``x`` and, with ``fe``, unit and date fixed effects
    (absorbed by :func:`_absorb`, Frisch-Waugh-Lovell: the same coefficients, residuals and
    cluster scores of ``x`` as with the dummies in the design), by one QR decomposition of
    the small weighted design. The covariance is statsmodels' ``WLS(...).fit(cov_type=
    "cluster", cov_kwds={"groups": ..., "use_correction": True, "df_correction": True})``
    on the full design: scores ``x_i w_i e_i`` summed per group, bread ``(X'WX)^-1`` and the
    factor G/(G-1) (N-1)/(N-K), K counting the fixed effects. A column collinear with the
    others (or with the fixed effects) is not identified: every value is then NaN.
    """
    _, codes = np.unique(np.asarray(groups, dtype=str), return_inverse=True)
    k = x.shape[1] + (fe.n_params if fe is not None else 0)
    sw = np.sqrt(w)
    scale = np.linalg.norm(x * sw[:, None], axis=0)
    if fe is not None:
        both = _absorb(np.column_stack([y, x]), w, fe)
        y, x = both[:, 0], both[:, 1:]
    xw, yw = x * sw[:, None], y * sw
    q, r = np.linalg.qr(xw)
    if np.any(np.abs(np.diag(r)) <= 1e-8 * scale):
        nan = np.full(x.shape[1], np.nan)
        return nan, np.full((x.shape[1], x.shape[1]), np.nan), float(codes.max())
    beta = solve_triangular(r, q.T @ yw)
    resid = yw - xw @ beta
    # (X'WX)^-1 X'W rows: scores projected on the bread, summed per cluster
    bread = solve_triangular(r, solve_triangular(r, np.eye(x.shape[1]), trans="T"))
    proj = (xw @ bread) * resid[:, None]
    n, n_groups = len(y), int(codes.max()) + 1
    sums = np.zeros((n_groups, x.shape[1]))
    np.add.at(sums, codes, proj)
    factor = n_groups / (n_groups - 1.0) * (n - 1.0) / (n - k)
    return beta, factor * (sums.T @ sums), float(n_groups - 1)


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


def _fit_2x2(d: pd.DataFrame) -> tuple[float, float, float]:
    tr, po = d["tr"].to_numpy(float), d["post"].to_numpy(float)
    x = np.column_stack([np.ones(len(d)), tr, po, tr * po])
    b, v, df = _cluster_fit(d["y"].to_numpy(), x, d["unit"], d["w"].to_numpy())
    return float(b[3]), float(np.sqrt(v[3, 3])), df


def _pre_trend(d: pd.DataFrame, alpha: float, key: str | None = None) -> tuple[Inference, str]:
    pre = d[d["post"] == 0]
    if pre["date"].nunique() < 3 or pre["tr"].nunique() < 2:
        return infer(math.nan, math.nan, math.inf, alpha), "insufficient_data"
    trend = pre["tr"].to_numpy(float) * (pre["t"] - pre["t"].mean()).to_numpy()
    b, v, df = _cluster_fit(pre["y"].to_numpy(), trend[:, None], pre["unit"],
                            pre["w"].to_numpy(), _fixed_effects(pre, key))  # fmt: skip
    return infer(float(b[0]), float(np.sqrt(v[0, 0])), df, alpha), "ok"


Fitted = tuple[list[dict[str, Any]], pd.DataFrame, dict[str, Any]]


def _did_single(data: pd.DataFrame, change: pd.Timestamp, alpha: float, units: str) -> Fitted:
    d = data.assign(tr=data["start"].notna().astype(int), post=(data["date"] >= change).astype(int))
    _check_cells(d, "difference-in-differences")
    n_units = d["unit"].nunique()
    status = "few_clusters" if n_units < MIN_CLUSTERS else "ok"
    n_bef, n_aft = int((d["post"] == 0).sum()), int((d["post"] == 1).sum())
    (_, t_after), gaps = _gaps(d)
    est, se, df = _fit_2x2(d)
    rows = [_row("did_2x2", (n_bef, n_aft), gaps, infer(est, se, df, alpha), t_after,
                 "did_2x2_cluster", status)]  # fmt: skip
    x = (d["tr"] * d["post"]).to_numpy(float)[:, None]
    b, v, df = _cluster_fit(d["y"].to_numpy(), x, d["unit"], d["w"].to_numpy(),
                            _fixed_effects(d))  # fmt: skip
    twfe = infer(float(b[0]), float(np.sqrt(v[0, 0])), df, alpha)
    rows.append(_row("did_twfe", (n_bef, n_aft), gaps, twfe, t_after, "did_twfe_cluster",
                     status))  # fmt: skip
    pt, pt_status = _pre_trend(d, alpha)
    rows.append(_row("pre_trend", (n_bef, 0), (math.nan, math.nan), pt, math.nan,
                     "did_pre_trend_cluster", pt_status if pt_status != "ok" else status,
                     units=_slope_units(units)))  # fmt: skip
    group = np.where(d["tr"] == 1, "treated", "control")
    info = {"n_units": n_units, "n_treated": int(d.loc[d["tr"] == 1, "unit"].nunique()),
            "n_clusters": n_units, "df": df, "change_date": change}  # fmt: skip
    return rows, _means(d, group), info


def _did_staggered(
    data: pd.DataFrame, cohorts: list[pd.Timestamp], alpha: float, units: str,
    name_cohorts: bool,
) -> Fitted:  # fmt: skip
    stacks: list[pd.DataFrame] = []
    rows: list[dict[str, Any]] = []
    info_cohorts: list[dict[str, Any]] = []
    n_units = data["unit"].nunique()
    status = "few_clusters" if n_units < MIN_CLUSTERS else "ok"
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
            info_cohorts.append({**entry, "weight": 0.0, "included": False, "reason": str(exc)})
            continue
        (_, t_after), gaps = _gaps(d)
        est, se, df = _fit_2x2(d)
        n_b, n_a = int((d["post"] == 0).sum()), int((d["post"] == 1).sum())
        row = _row("did_2x2", (n_b, n_a), gaps, infer(est, se, df, alpha), t_after,
                   "did_2x2_cluster", status)  # fmt: skip
        if name_cohorts:
            row["segment"] = _join(entry["units"])
        rows.append(row)
        # weight: treated unit x post periods the cohort contributes
        w = int(((d["tr"] == 1) & (d["post"] == 1)).sum())
        info_cohorts.append({**entry, "weight": float(w), "included": True})
        stacks.append(d.assign(t=d["t"] - (start - data["date"].min()) / pd.Timedelta(days=1)))
    if not stacks:
        raise InsufficientDataError(
            "staggered difference-in-differences: no cohort has treated and clean control "
            "units with points before and after its change date"
        )
    s = pd.concat(stacks, ignore_index=True)
    ids = sorted(s["stack"].unique())
    inter = np.column_stack([(s["stack"] == k).to_numpy(float) for k in ids])
    inter *= (s["tr"] * s["post"]).to_numpy(float)[:, None]
    b, v, df = _cluster_fit(s["y"].to_numpy(), inter, s["unit"], s["w"].to_numpy(),
                            _fixed_effects(s, "stack"))  # fmt: skip
    wts = np.array([c["weight"] for c in info_cohorts if c["included"]])
    wts = wts / wts.sum()
    inf = infer(float(wts @ b), float(np.sqrt(wts @ v @ wts)), df, alpha)
    before = float(wts @ [r["before"] for r in rows])
    after = float(wts @ [r["after"] for r in rows])
    t_after = float(wts @ [r["after"] + r["_ref"] for r in rows])
    n_b, n_a = int((s["post"] == 0).sum()), int((s["post"] == 1).sum())
    rows.append(_row("did_stacked", (n_b, n_a), (before, after), inf, t_after,
                     "did_stacked_cluster", status))  # fmt: skip
    pt, pt_status = _pre_trend(s, alpha, key="stack")
    rows.append(_row("pre_trend", (n_b, 0), (math.nan, math.nan), pt, math.nan,
                     "did_pre_trend_cluster", pt_status if pt_status != "ok" else status,
                     units=_slope_units(units)))  # fmt: skip
    group = np.where(data["start"].isna(), "never treated",
                     "cohort " + data["start"].dt.date.astype(str))  # fmt: skip
    info = {"n_units": n_units, "n_treated": int(data.loc[data["start"].notna(), "unit"].nunique()),
            "n_clusters": s["unit"].nunique(), "df": df, "cohorts": info_cohorts}  # fmt: skip
    return rows, _means(data, group), info


def _means(d: pd.DataFrame, group: Any) -> pd.DataFrame:
    g = d.assign(group=group, yw=d["y"] * d["w"], period=np.where(
        d["date"] >= d["start"].min(), "after", "before"))  # fmt: skip
    out = g.groupby(["date", "period", "group"], as_index=False).agg(
        yw=("yw", "sum"), w=("w", "sum"), n_units=("unit", "nunique")
    )
    out["mean"] = out["yw"] / out["w"]
    return out[["date", "period", "group", "mean", "n_units"]]


def _row(
    term: str, n: tuple[float, float], gaps: tuple[float, float], inf: Inference,
    treated_after: float, method: str, status: str, **labels: Any,
) -> dict[str, Any]:  # fmt: skip
    """An ``after_vs_before`` row; ``delta_rel`` is relative to the counterfactual treated-after
    mean; ``labels`` set row-specific columns (``units``, ``segment``). A fitted row without
    an estimate (collinear with the fixed effects) gets status ``not_identified``."""
    if math.isnan(inf.estimate) and status != "insufficient_data":
        status = "not_identified"
    counterfactual = treated_after - inf.estimate
    rel = inf.estimate / counterfactual if counterfactual else math.nan
    return effect_row(term, "after_vs_before", n, gaps, inf, rel, method=method, status=status,
                      _ref=treated_after - gaps[1], **labels)  # fmt: skip
