"""Interrupted time series: segmented regression around the change date.

Model (METHODS.md, "Beyond a naive before/after")::

    Y_t = b0 + b1 t + b2 post_t + b3 (t - t0) post_t  [+ day-of-week]  [+ a1 ann_t + a2 (t - ta) ann_t]

with ``t`` counted in periods (days or weeks) from the first point, ``post_t = 1`` from
the change date on (the change date belongs to ``after``) and, when an announcement date
is given, ``ann_t = 1`` from the announcement on. Periods: before < announced <= transition
< change_date <= after. The announcement terms model the transition window, so the
anticipatory reaction does not pollute the baseline; with them, ``b2``/``b3`` are the jump
and slope change at the change date relative to the transition line.

The counterfactual sets every intervention term to zero (the baseline line, extrapolated).
The average effect is the mean over the ``after`` points of fit minus counterfactual, with a
delta-method SE (exact for the linear models: a linear contrast of the coefficients); the
transition effect is the same mean over the ``transition`` points.

Standard errors. Daily KPIs are autocorrelated; on 120 + 60 simulated days with AR(1)
noise rho = 0.5, Newey-West HAC covered the true average effect in only 0.87-0.88 of series,
feasible GLS with AR(1) errors in 0.94 (METHODS.md; ``tests/test_designs_simulation.py`` keeps
that check). So ``model="gls_ar"`` (default for values) is feasible GLS with AR(p) errors, p
chosen by BIC (up to 7) on the residuals of a baseline fit to the ``before`` window;
its fit is the iteration of statsmodels ``GLSAR(..., rho=p).iterative_fit()`` with two
changes for small samples. The first p observations are kept (Prais-Winsten for AR(1),
the exact GLS transform of their stationary covariance), not dropped: the first point
weighs most on the baseline trend, and dropping it moved the answer as soon as order
selection switched from 0 to 1, however small rho was. And for AR(1) the Yule-Walker rho
of the regression residuals is biased towards 0 (Kendall 1954; Marriott & Pope 1954:
E[rho_hat] = rho - (1 + 3 rho)/n, more with many regressors), which makes the SEs too
small. Each pass therefore replaces it by the rho whose *expected* residual lag-1
autocorrelation, given the design, equals the observed one (the moment form of that
correction, exact for the regressors used; ``bias_correct=False`` keeps GLSAR's plain
Yule-Walker rho). Measured on 1,000 series of the set-up above: see ``docs/methods.md``.
``"ols_hac"`` is OLS
with Newey-West HAC (Stata ``newey``). Counts with ``exposure``: ``"quasipoisson"`` (default)
is a log-link GLM with offset log(exposure). Its default covariance is Newey-West on the
GLM scores with a fifth of the series as lags, and every row's critical value and p-value
come from the fixed-b distribution of that statistic, simulated for the model's own design
(:mod:`~rollout_metrics.designs._hac`; method ``its_quasipoisson_hac``): a daily rate that
drifts gives Pearson residuals with a weak but persistent correlation that BIC does not
detect, and the AR fit that relied on it rejected 0.08-0.10 of true nulls. With an explicit
``ar_order`` the GLM instead has AR(p) errors on the Pearson scale in the IRLS steps (first
rows kept), dispersion phi = Pearson chi2/df never below Poisson and a t reference (see
:func:`~rollout_metrics.designs._common.poisson_ar`); ``"poisson"`` is the plain Poisson GLM
(phi = 1, no AR). For the GLMs ``level_change`` and ``slope_change`` are
on the log-rate scale (``delta_rel = exp(delta) - 1``) and the average effect is a rate
difference (counts per unit of exposure); its ratio with CI is in ``model_info``.

A standard error that is rounding noise (constant or exactly linear series: below 10
machine epsilons of the data's magnitude, R ``t.test``'s rule) gives the row status
``degenerate`` with no interval or p-value.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from rollout_metrics.designs._common import (
    FloatArray,
    Inference,
    RegressionFit,
    check_options,
    coerce_dates,
    effect_row,
    finish_table,
    gls_ar,
    html_table,
    infer,
    ols_hac,
    poisson_ar,
    require_columns,
    require_finite,
    select_ar_order,
    to_timestamp,
)
from rollout_metrics.designs._hac import HacFit, bartlett_lags, quasipoisson_hac
from rollout_metrics.errors import DataValidationError, InsufficientDataError, PeriodError

__all__ = ["ItsResult", "RegressionFit", "its", "ols_hac", "term_units"]

MIN_POINTS = 8
MAX_AR_ORDER = 7
Model = Literal["gls_ar", "ols_hac", "poisson", "quasipoisson"]
_MODELS = ("gls_ar", "ols_hac", "poisson", "quasipoisson")


@dataclass(frozen=True, slots=True)
class ItsResult:
    """Outcome of :func:`its`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per effect (``term``: ``average_effect``, ``level_change``,
        ``slope_change`` and, with an announcement, ``transition_effect``) in
        :data:`~rollout_metrics.designs._common.DESIGN_COLUMNS`. ``comparison`` is
        ``after_vs_before`` (``transition_vs_before`` for the transition effect); the rows
        are one family for ``p_adjusted`` and ``significant``.
    series : pandas.DataFrame
        Per point: ``date, observed, fitted, counterfactual, ci_low, ci_high`` (CI of the
        counterfactual), ``period``. Rates (count / exposure) for the GLMs.
    model_info : Mapping[str, Any]
        ``model, method, freq, ar_order, rho, phi, n_params, n_obs, df_resid, hac_lags,
        reference`` (``t``, ``normal`` or ``fixed_b``), ``n_resamples, params`` and, for the
        GLMs, ``average_effect_ratio`` (``ratio, ci_low, ci_high, p_value`` and ``se_log``,
        the SE of its log).
    alpha : float
        The CIs are ``1 - alpha`` intervals.
    """

    table: pd.DataFrame
    series: pd.DataFrame
    model_info: Mapping[str, Any]
    alpha: float = 0.05

    def to_frame(self) -> pd.DataFrame:
        """The effects table (a copy)."""
        return self.table.copy()

    def _repr_html_(self) -> str:
        head = f"Interrupted time series ({html.escape(str(self.model_info.get('method')))})"
        return html_table(head, self.table)


def _infer_freq(dates: pd.Series, freq: str | None) -> str:
    if freq is not None:
        if freq not in ("D", "W"):
            raise DataValidationError(f"freq must be 'D', 'W' or None, got {freq!r}")
        return freq
    step = pd.Series(dates.to_numpy()).diff().dropna().median()
    if step == pd.Timedelta(days=1):
        return "D"
    if step == pd.Timedelta(days=7):
        return "W"
    raise DataValidationError(
        f"cannot infer the frequency: the median step between dates is {step}; "
        "pass freq='D' (daily) or freq='W' (weekly)"
    )


def _design(
    dates: pd.Series, freq: str, change: pd.Timestamp, announced: pd.Timestamp | None
) -> tuple[FloatArray, list[str], list[str]]:
    """Design matrix, column names and the names of the intervention columns."""
    unit = pd.Timedelta(days=1 if freq == "D" else 7)
    origin = dates.iloc[0]
    t = ((dates - origin) / unit).to_numpy(dtype=float)
    cols: dict[str, FloatArray] = {"const": np.ones(len(t)), "trend": t}
    if freq == "D":
        dow = dates.dt.day_of_week.to_numpy()
        for d in np.unique(dow)[1:]:
            cols[f"dow_{d}"] = (dow == d).astype(float)
    interventions: list[str] = []
    if announced is not None:
        ann = np.asarray(dates >= announced, dtype=float)
        cols["announced_level"] = ann
        cols["announced_slope"] = ann * (t - (announced - origin) / unit)
        interventions += ["announced_level", "announced_slope"]
    post = np.asarray(dates >= change, dtype=float)
    cols["level_change"] = post
    cols["slope_change"] = post * (t - (change - origin) / unit)
    interventions += ["level_change", "slope_change"]
    return np.column_stack(list(cols.values())), list(cols), interventions


def _validate(
    frame: pd.DataFrame,
    date: str,
    value: str,
    weights: str | None,
    exposure: str | None,
) -> pd.DataFrame:
    require_columns(frame, [date, value, weights, exposure])
    require_finite(frame, [value, weights, exposure])
    data = pd.DataFrame({"date": coerce_dates(frame[date], date)})
    data["y"] = pd.to_numeric(frame[value]).to_numpy(dtype=float)
    data["w"] = 1.0 if weights is None else pd.to_numeric(frame[weights]).to_numpy(dtype=float)
    data["e"] = 1.0 if exposure is None else pd.to_numeric(frame[exposure]).to_numpy(dtype=float)
    for col, name in (("w", weights), ("e", exposure)):
        bad = data[col] <= 0
        if bad.any():
            raise DataValidationError(
                f"column {name!r} must be > 0; {int(bad.sum())} row(s) are not "
                f"(first: {data.loc[bad, col].head().tolist()})"
            )
    dup = data["date"].duplicated()
    if dup.any():
        raise DataValidationError(
            f"column {date!r} has {int(dup.sum())} duplicated date(s) "
            f"(first: {data.loc[dup, 'date'].head().tolist()}); its() needs one row per period"
        )
    return data.sort_values("date", ignore_index=True)


def its(
    frame: pd.DataFrame,
    *,
    date: str = "date",
    value: str = "value",
    change_date: Any,
    weights: str | None = None,
    exposure: str | None = None,
    announced: Any = None,
    freq: str | None = None,
    model: Model | None = None,
    ar_order: int | None = None,
    hac_lags: int | None = None,
    alpha: float = 0.05,
    correction: str = "fdr_bh",
    metric: str = "value",
    by: str = "",
    segment: str = "overall",
    units: str = "",
    bias_correct: bool = True,
    n_resamples: int = 999,
    seed: int = 0,
) -> ItsResult:
    """Interrupted time series (segmented regression) around ``change_date``.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per day or week; not modified.
    date, value : str
        Column names of the period date and the observed value (a count with ``exposure``).
    change_date : date-like
        First date of the ``after`` period (the change date belongs to ``after``).
    weights : str, optional
        Column of precision weights (e.g. responses behind a daily mean): weighted
        least squares, with the AR errors on the weight-standardised scale.
    exposure : str, optional
        Column of exposure (e.g. active customer-days): ``value`` is a count and the
        model a (quasi-)Poisson GLM with offset log(exposure).
    announced : date-like, optional
        Announcement date; ``[announced, change_date)`` is the transition window.
    freq : {"D", "W"}, optional
        Daily or weekly; inferred from the median step when None. Daily series get
        day-of-week terms.
    model : {"gls_ar", "ols_hac", "poisson", "quasipoisson"}, optional
        Default ``"gls_ar"``, or ``"quasipoisson"`` when ``exposure`` is given.
    ar_order : int, optional
        AR order of the errors. ``gls_ar``: chosen by BIC (0-7) on the ``before`` window
        when None. ``quasipoisson``: when None (default) the GLM has no AR errors and its
        covariance is Newey-West with fixed-b critical values (module notes); an order
        (0-7) fits AR errors on the Pearson scale with a t reference instead.
    hac_lags : int, optional
        Newey-West lags: for ``ols_hac`` default ``floor(4 (n/100)^(2/9))``; for
        ``quasipoisson`` (without ``ar_order``) default ``floor(n / 5)``.
    alpha : float
        Level of the tests; CIs are ``1 - alpha``.
    correction : {"fdr_bh", "holm", "by", "none"}
        Adjustment of the p-values over the rows of the table (one family):
        Benjamini-Hochberg (default), Holm, Benjamini-Yekutieli or none.
    metric, by, segment, units : str
        Labels of the table rows. ``units`` labels the effects in the value's units;
        ``slope_change`` gets ``"<units> per day"`` (or week) and, for the count models,
        ``level_change``/``slope_change`` are ``"log rate ratio"`` (per day or week).
    bias_correct : bool
        ``gls_ar`` with AR(1) errors: replace the Yule-Walker rho by the bias-corrected
        one (see the module notes; default). ``False`` keeps statsmodels ``GLSAR``'s rho.
    n_resamples, seed : int
        ``quasipoisson`` with Newey-West errors: simulated series of the fixed-b
        reference distribution (at least ``2 / alpha - 1``) and their seed.

    Returns
    -------
    ItsResult

    Raises
    ------
    MissingColumnError, DataValidationError
        Absent column; NaN, non-positive weight/exposure or duplicated dates; an unknown
        model, frequency or correction, or options that do not go together.
    PeriodError
        ``change_date`` (or ``announced``) outside the series or mis-ordered.
    InsufficientDataError
        Fewer than 8 points before or after the change date.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> dates = pd.date_range("2024-01-01", periods=84, freq="D")
    >>> y = 50 + 0.01 * np.arange(84) - 3.0 * (dates >= "2024-03-01") + rng.normal(0, 1, 84)
    >>> res = its(pd.DataFrame({"date": dates, "value": y}), change_date="2024-03-01")
    >>> row = res.table.set_index("term").loc["level_change"]
    >>> bool(row["ci_low"] < -3.0 < row["ci_high"])
    True
    """
    if model is None:
        model = "quasipoisson" if exposure is not None else "gls_ar"
    if model not in _MODELS:
        raise DataValidationError(f"model must be one of {_MODELS}, got {model!r}")
    glm = model in ("poisson", "quasipoisson")
    if exposure is not None and not glm:
        raise DataValidationError("exposure is used by model='poisson' or 'quasipoisson' only")
    if weights is not None and glm:
        raise DataValidationError(
            "weights apply to the linear models; for counts pass exposure=")
    check_options(alpha, correction)
    data = _validate(frame, date, value, weights, exposure)
    if glm and ((data["y"] < 0).any() or (data["y"] % 1 != 0).any()):
        raise DataValidationError(f"column {value!r} must hold non-negative counts for {model}")
    tz = data["date"].dt.tz
    change = to_timestamp(change_date, tz, "change_date")
    first, last = data["date"].iloc[0], data["date"].iloc[-1]
    if not first < change <= last:
        raise PeriodError(
            f"change_date {change} is outside the series, which runs from {first} to {last}; "
            "there must be points on both sides"
        )
    ann = None if announced is None else to_timestamp(announced, tz, "announced")
    if ann is not None and not first < ann < change:
        raise PeriodError(
            f"announced {ann} must fall after the first date {first} and before "
            f"change_date {change}"
        )
    period = np.where(data["date"] >= change, "after", "before").astype(object)
    if ann is not None:
        period[(data["date"] >= ann).to_numpy() & (period == "before")] = "transition"
    data["period"] = period
    counts = data["period"].value_counts()
    n_before, n_after = int(counts.get("before", 0)), int(counts.get("after", 0))
    n_trans = int(counts.get("transition", 0))
    if n_before < MIN_POINTS or n_after < MIN_POINTS:
        raise InsufficientDataError(
            f"interrupted time series needs at least {MIN_POINTS} points before and "
            f"{MIN_POINTS} after the change date; got {n_before} before and {n_after} after"
        )
    if ann is not None and n_trans < 2:
        raise InsufficientDataError(
            f"the transition window (announced {ann} to change_date {change}) needs at least "
            f"2 points to model its level and slope; got {n_trans}"
        )
    freq = _infer_freq(data["date"], freq)
    x, names, interventions = _design(data["date"], freq, change, ann)
    return _fit_and_report(
        data, x, names, interventions, freq=freq, model=model, ar_order=ar_order,
        hac_lags=hac_lags, alpha=alpha, correction=correction, bias_correct=bias_correct,
        labels={"metric": metric, "by": by, "segment": segment, "units": units},
        resampling=(n_resamples, seed),
    )  # fmt: skip


def _choose_order(
    data: pd.DataFrame, x: FloatArray, names: list[str], interventions: list[str], glm: bool
) -> int:
    """AR order by BIC on the residuals of the baseline model fitted to the before window."""
    rows = (data["period"] == "before").to_numpy()
    base = [i for i, n in enumerate(names) if n not in interventions]
    xb = x[rows][:, base]
    keep = np.linalg.matrix_rank(xb) == xb.shape[1]
    xb = xb if keep else xb[:, :2]
    if glm:
        y, e = data["y"].to_numpy()[rows], data["e"].to_numpy()[rows]
        fit = poisson_ar(y, xb, np.log(e), 0, quasi=False)
        mu = np.exp(xb @ fit.params + np.log(e))
        resid = (y - mu) / np.sqrt(mu)
    else:
        sw = np.sqrt(data["w"].to_numpy()[rows])
        ys, xs = sw * data["y"].to_numpy()[rows], sw[:, None] * xb
        resid = ys - xs @ np.linalg.lstsq(xs, ys, rcond=None)[0]
    return select_ar_order(resid, MAX_AR_ORDER)


def _fit_and_report(
    data: pd.DataFrame,
    x: FloatArray,
    names: list[str],
    interventions: list[str],
    *,
    freq: str,
    model: str,
    ar_order: int | None,
    hac_lags: int | None,
    alpha: float,
    correction: str,
    labels: dict[str, str],
    bias_correct: bool = True,
    resampling: tuple[int, int] = (999, 0),
) -> ItsResult:
    glm = model in ("poisson", "quasipoisson")
    hac = model == "quasipoisson" and ar_order is None
    y, w, e = (data[c].to_numpy(dtype=float) for c in ("y", "w", "e"))
    n = len(y)
    if ar_order is not None and not 0 <= ar_order <= n // 4:
        raise DataValidationError(
            f"ar_order must be between 0 and {n // 4} here, got {ar_order}")
    order = 0
    if model == "gls_ar" or (model == "quasipoisson" and not hac):
        order = ar_order if ar_order is not None else _choose_order(
            data, x, names, interventions, glm
        )  # fmt: skip
    lags = hac_lags if hac_lags is not None else int(np.floor(4 * (n / 100) ** (2 / 9)))
    fit: RegressionFit
    hac_fit: HacFit | None = None
    if model == "gls_ar":
        sw = np.sqrt(w)
        fit = gls_ar(sw * y, sw[:, None] * x, order, bias_correct=bias_correct, keep_first=True)
        method = f"its_gls_ar{order}" if order > 0 else "its_ols"
    elif model == "ols_hac":
        fit = ols_hac(y, x, lags, weights=None if np.all(w == 1) else w)
        method = "its_ols_hac"
    elif hac:
        lags = hac_lags if hac_lags is not None else bartlett_lags(n)
        hac_fit = quasipoisson_hac(y, x, np.log(e), lags=lags, n_resamples=resampling[0],
                                   rng=np.random.default_rng(resampling[1]), alpha=alpha)
        fit = hac_fit.fit
        method = "its_quasipoisson_hac"
    else:
        fit = poisson_ar(y, x, np.log(e), order, quasi=model == "quasipoisson")
        method = f"its_{model}" + (f"_ar{order}" if order > 0 else "")
    x0 = x.copy()
    idx = [names.index(c) for c in interventions]
    x0[:, idx] = 0.0
    period = data["period"].to_numpy()
    status = "ok"
    step = np.diff(data["date"].to_numpy()).astype("timedelta64[D]").astype(int)
    if model != "poisson" and np.any(step != (1 if freq == "D" else 7)) and (order > 0 or hac):
        status = "irregular_spacing"
    rows, extra = _effects(fit, x, x0, y, w, e, period, names, glm, alpha, hac_fit)
    for row in rows:
        row["units"] = term_units(labels["units"], row["term"], glm, freq)
    table = finish_table(rows, alpha=alpha, correction=correction, **labels, method=method,
                         status=status)
    series = _series(fit, data, x, x0, glm, extra.pop("band_q", None), alpha)
    info: dict[str, Any] = {
        "model": model,
        "method": method,
        "freq": freq,
        "ar_order": order,
        "rho": fit.rho.tolist(),
        "phi": fit.scale if glm else float("nan"),
        "sigma2": fit.scale if not glm else float("nan"),
        "n_params": x.shape[1],
        "n_obs": n,
        "df_resid": fit.df_resid,
        "hac_lags": lags if model == "ols_hac" or hac else None,
        "reference": "fixed_b" if hac else ("normal" if model == "poisson" else "t"),
        "n_resamples": resampling[0] if hac else None,
        "params": dict(zip(names, fit.params.tolist(), strict=True)),
        **extra,
    }
    return ItsResult(table, series, info, alpha)


def _mean(v: FloatArray, w: FloatArray) -> float:
    return float(np.sum(v * w) / np.sum(w))


def _effects(
    fit: RegressionFit,
    x: FloatArray,
    x0: FloatArray,
    y: FloatArray,
    w: FloatArray,
    e: FloatArray,
    period: Any,
    names: list[str],
    glm: bool,
    alpha: float,
    hac: HacFit | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    beta, cov, df = fit.params, fit.cov, fit.df_resid

    def test(grad: FloatArray, est: float, scale: float) -> Inference:
        if hac is None:
            return infer(est, float(np.sqrt(grad @ cov @ grad)), df, alpha, scale=scale)
        inf, q = hac.test(grad, est, alpha, scale=scale)
        extra.setdefault("band_q", q)  # the average effect's critical value, for the series
        return inf

    before = period == "before"
    # magnitude of the data, for the rounding-noise rule on the SEs (is_degenerate)
    level = float(np.max(np.abs(y / e))) if glm else float(np.max(np.abs(y)))
    windows = [("average_effect", "after_vs_before", period == "after")]
    if "announced_level" in names:
        windows.append(("transition_effect", "transition_vs_before", period == "transition"))
    rows: list[dict[str, Any]] = []
    extra: dict[str, Any] = {}
    obs_b = float(y[before].sum() / e[before].sum()) if glm else _mean(y[before], w[before])
    for term, comparison, sel in windows:
        obs_a = float(y[sel].sum() / e[sel].sum()) if glm else _mean(y[sel], w[sel])
        if glm:
            mu1, mu0 = np.exp(x[sel] @ beta) * e[sel], np.exp(x0[sel] @ beta) * e[sel]
            s1, s0, etot = mu1.sum(), mu0.sum(), e[sel].sum()
            est = float((s1 - s0) / etot)
            grad = (mu1 @ x[sel] - mu0 @ x0[sel]) / etot
            g_log = mu1 @ x[sel] / s1 - mu0 @ x0[sel] / s0
            lr = test(g_log, float(np.log(s1 / s0)), 0.0)
            extra[f"{term}_ratio"] = {
                "ratio": float(s1 / s0),
                "ci_low": float(np.exp(lr.ci_low)),
                "ci_high": float(np.exp(lr.ci_high)),
                "p_value": lr.p_value,
                "se_log": lr.se,
            }
            rel = float(s1 / s0 - 1)
        else:
            grad = (x[sel] - x0[sel]).mean(axis=0)
            est = float(grad @ beta)
            rel = est / float((x0[sel] @ beta).mean())
        inf = test(grad, est, level)
        n = (int(before.sum()), int(sel.sum()))
        rows.append(effect_row(term, comparison, n, (obs_b, obs_a), inf, rel))
    after = period == "after"
    obs_a = float(y[after].sum() / e[after].sum()) if glm else _mean(y[after], w[after])
    for term in ("level_change", "slope_change"):
        j = names.index(term)
        unit = np.zeros(len(beta))
        unit[j] = 1.0
        inf = test(unit, float(beta[j]), 0.0 if glm else level)
        if glm:
            rel = float(np.expm1(beta[j]))
        elif term == "level_change":
            rel = float(beta[j] / (x0[after][0] @ beta))
        else:
            rel = float("nan")
        n = (int(before.sum()), int(after.sum()))
        rows.append(effect_row(term, "after_vs_before", n, (obs_b, obs_a), inf, rel))
    return rows, extra


def term_units(units: str, term: str, glm: bool, freq: str) -> str:
    """Units of a table row: the value's, per period for a slope, log rate ratio for GLM terms.

    Examples
    --------
    >>> term_units("NPS points", "slope_change", glm=False, freq="W")
    'NPS points per week'
    >>> term_units("% per 30 customer-days", "level_change", glm=True, freq="D")
    'log rate ratio'
    """
    per = "per day" if freq == "D" else "per week"
    if glm and term in ("level_change", "slope_change"):
        return "log rate ratio" + (f" {per}" if term == "slope_change" else "")
    if term == "slope_change":
        return f"{units} {per}" if units else per
    return units


def _series(
    fit: RegressionFit, data: pd.DataFrame, x: FloatArray, x0: FloatArray, glm: bool,
    q: float | None, alpha: float,
) -> pd.DataFrame:
    """Per point fit and counterfactual; the band is +- ``q`` SEs of the counterfactual
    (``q`` the t quantile, or the fixed-b critical value of the average effect)."""
    eta, eta0 = x @ fit.params, x0 @ fit.params
    se0 = np.sqrt(np.einsum("ij,jk,ik->i", x0, fit.cov, x0))
    if q is None or not np.isfinite(q):
        q = infer(0.0, 1.0, fit.df_resid, alpha).ci_high
    lo, hi = eta0 - q * se0, eta0 + q * se0
    observed = data["y"].to_numpy(dtype=float)
    if glm:
        observed = observed / data["e"].to_numpy(dtype=float)
        eta, eta0, lo, hi = np.exp(eta), np.exp(eta0), np.exp(lo), np.exp(hi)
    return pd.DataFrame(
        {
            "date": data["date"],
            "observed": observed,
            "fitted": eta,
            "counterfactual": eta0,
            "ci_low": lo,
            "ci_high": hi,
            "period": data["period"],
        }
    )
