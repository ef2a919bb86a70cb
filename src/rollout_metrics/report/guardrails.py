"""Guardrails: conditions on result rows that a scheduled run alerts on.

A guardrail reads ``metric[segment].field OP number`` or, for a comparison other than
``after_vs_before``, ``metric[segment].comparison.field OP number``:

* ``nps.delta < -5`` checks the overall row of ``nps``;
* ``nps[VIP].delta < -5`` the rows of segment ``VIP`` (matched ignoring case when that is
  unambiguous, so ``nps[vip]`` also works), ``nps[*].delta < -5`` every row of ``nps``;
* ``churn.transition_vs_before.delta > 0.5`` the announcement window.

Fields are the numeric columns of the results table (:data:`FIELDS`); operators are ``<``,
``<=``, ``>``, ``>=``, ``==`` and ``!=``. Conditions are parsed with a regular expression,
never evaluated as code. A row **breaches** a guardrail when it is significant and meets the
condition. A guardrail that cannot be evaluated is an error, never a silent pass: a
malformed condition, an unknown metric (or one not in the run), field, comparison or
segment raises :class:`~rollout_metrics.errors.ConfigError` naming what exists. A row too
small to be tested (status ``insufficient_data``) is reported as ``not tested``.

**Monitoring mode** (``look=`` given, repeated scheduled runs, see
:mod:`rollout_metrics.infer.sequential`): a guardrail on ``delta`` or ``delta_rel`` with
``<``, ``<=``, ``>`` or ``>=`` is a one-sided question with a margin.  ``nps.delta < -5``
breaches when the data show, at the sequential level, that the change is worse than -5: the
one-sided repeated confidence limit (upper for ``<``, lower for ``>``) is beyond the
threshold, not when the point estimate is.  Each guardrail holds ``alpha`` over all looks:
its rows share it (``alpha / m`` for a guardrail that checks ``m`` rows, e.g. ``nps[*]``).  A
point estimate beyond the threshold whose limit is not is a near miss, outcome ``met, not
beyond the margin``.  Other fields (``p_value``, ``before``, ...) and ``==``/``!=`` breach
when met by a row significant at the sequential level (``seq_significant``).  At a look the
schedule did not plan (``method="confidence_sequence"``, see :mod:`rollout_metrics.monitor`)
the limit is that of the always-valid confidence sequence (column ``method``:
``confidence_sequence``, else ``group_sequential``, or ``fixed_horizon`` outside monitoring
mode and for a window that does not grow).

Examples
--------
>>> parse_guardrail("nps[VIP].delta < -5")  # doctest: +NORMALIZE_WHITESPACE
Guardrail(metric='nps', segment='VIP', field='delta', op='<', value=-5.0,
          text='nps[VIP].delta < -5', comparison='after_vs_before')
>>> parse_guardrail("churn.transition_vs_before.delta > 0.5").comparison
'transition_vs_before'
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rollout_metrics.errors import ConfigError, did_you_mean

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "COLUMNS",
    "COMPARISONS",
    "FIELDS",
    "OPS",
    "Guardrail",
    "breaches",
    "check_guardrails",
    "evaluate_guardrails",
    "parse_guardrail",
]

OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
    "==": operator.eq, "!=": operator.ne,
}
FIELDS = ("delta", "delta_rel", "before", "after", "ci_low", "ci_high", "p_value",
          "p_adjusted", "mde")
COMPARISONS = ("after_vs_before", "transition_vs_before")
#: Columns of :func:`evaluate_guardrails`' table.
COLUMNS = ["guardrail", "metric", "comparison", "by", "segment", "field", "op", "threshold",
           "value", "significant", "p_adjusted", "status", "met", "breached", "outcome",
           "limit", "rule", "method"]
#: Fields and operators decided on the sequential one-sided limit in monitoring mode.
MARGIN_FIELDS = ("delta", "delta_rel")
MARGIN_OPS = ("<", "<=", ">", ">=")
FORMAT = "metric[segment].field OP number, e.g. 'nps[VIP].delta < -5'"

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_GUARD = re.compile(
    rf"^\s*(?P<metric>{_NAME})(?:\[(?P<segment>[^\]]+)\])?"
    rf"(?:\.(?P<comparison>{_NAME}))?\.(?P<field>{_NAME})\s*"
    r"(?P<op><=|>=|==|!=|<|>)\s*(?P<value>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$"
)
_LEFT = re.compile(rf"^\s*{_NAME}(?:\[[^\]]+\])?(?:\.{_NAME}){{1,2}}\s*")


@dataclass(frozen=True)
class Guardrail:
    """One parsed condition (see the module docstring)."""

    metric: str
    segment: str | None
    field: str
    op: str
    value: float
    text: str
    comparison: str = "after_vs_before"


def _malformed(text: str) -> ConfigError:
    left = _LEFT.match(text)
    if left is None:
        why = f"expected {FORMAT}"
    else:
        rest = text[left.end():].strip()
        op = re.match(r"<=|>=|==|!=|<|>", rest)
        if op is None:
            why = (f"expected an operator ({', '.join(OPS)}) after {left.group().strip()!r}, "
                   f"got {rest[:10]!r}")
        else:
            why = (f"expected a number after {op.group()!r}, got {rest[op.end():].strip()!r}; "
                   f"the format is {FORMAT}")
    return ConfigError(f"bad guardrail {text!r}: {why}")


def parse_guardrail(text: str) -> Guardrail:
    """Parse one condition; :class:`ConfigError` when malformed or the field or comparison
    is unknown (the metric and segment are checked against a run, see
    :func:`check_guardrails` and :func:`evaluate_guardrails`)."""
    if not isinstance(text, str):
        raise ConfigError(f"bad guardrail {text!r}: expected a string like {FORMAT}")
    m = _GUARD.match(text)
    if not m:
        raise _malformed(text)
    if m["field"] not in FIELDS:
        raise ConfigError(f"bad guardrail {text!r}: unknown field {m['field']!r}"
                          f"{did_you_mean(m['field'], FIELDS)}; fields: {', '.join(FIELDS)}")
    comparison = m["comparison"] or "after_vs_before"
    if comparison not in COMPARISONS:
        raise ConfigError(
            f"bad guardrail {text!r}: unknown comparison {comparison!r}"
            f"{did_you_mean(comparison, COMPARISONS)}; comparisons: {', '.join(COMPARISONS)}")
    segment = m["segment"].strip() if m["segment"] else None
    return Guardrail(m["metric"], segment, m["field"], m["op"], float(m["value"]),
                     text.strip(), comparison)


def _as_guardrail(g: str | Guardrail) -> Guardrail:
    return g if isinstance(g, Guardrail) else parse_guardrail(g)


def check_guardrails(guards: Iterable[str | Guardrail], metrics: Sequence[str],
                     *, announced: bool = True) -> list[Guardrail]:
    """Parse ``guards`` and check each against the run's ``metrics`` before any data is read.

    Raises :class:`ConfigError` listing every problem: malformed conditions, metrics that are
    not registered or not in ``metrics``, ``delta_rel`` of a metric without a relative
    change, ``transition_vs_before`` without an announcement.

    Examples
    --------
    >>> check_guardrails(["nps.delta < -5"], ["nps", "csat"])[0].metric
    'nps'
    >>> check_guardrails(["NPS.delta < -5"], ["nps", "csat"])
    Traceback (most recent call last):
    ...
    rollout_metrics.errors.ConfigError: guardrail 'NPS.delta < -5': unknown metric 'NPS' (did you mean 'nps'?); metrics of this run: nps, csat
    """
    from rollout_metrics.metrics import REGISTRY

    out, problems = [], []
    for item in guards:
        try:
            g = _as_guardrail(item)
        except ConfigError as exc:
            problems.append(str(exc))
            continue
        where = f"guardrail {g.text!r}"
        if g.metric not in metrics:
            if g.metric in REGISTRY:
                problems.append(f"{where}: metric {g.metric!r} is not in this run; add it to "
                                f"the metrics, or drop the guardrail; metrics of this run: "
                                f"{', '.join(metrics)}")
            else:
                problems.append(f"{where}: unknown metric {g.metric!r}"
                                f"{did_you_mean(g.metric, metrics)}; metrics of this run: "
                                f"{', '.join(metrics)}")
            continue
        if g.field == "delta_rel" and not REGISTRY[g.metric].relative:
            problems.append(f"{where}: {g.metric} has no relative change (delta_rel is empty "
                            f"for {REGISTRY[g.metric].units}); use delta")
            continue
        if g.comparison == "transition_vs_before" and not announced:
            problems.append(f"{where}: the rollout has no announcement date, so there are no "
                            "transition_vs_before rows")
            continue
        out.append(g)
    if problems:
        raise ConfigError("; ".join(problems))
    return out


def _segments(rows: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(str(s) for s in rows["segment"]))


def _key(segment: str) -> str:
    return " ".join(segment.replace("×", " × ").split()).casefold()


def _select(results: pd.DataFrame, g: Guardrail) -> pd.DataFrame:
    rows = results[(results["metric"] == g.metric) & (results["comparison"] == g.comparison)]
    where = f"guardrail {g.text!r}"
    if rows.empty:
        run = sorted(set(results["metric"]))
        raise ConfigError(f"{where}: the results have no {g.comparison} rows of {g.metric!r}; "
                          f"metrics of this run: {', '.join(run)}")
    if g.segment == "*":
        return rows
    wanted = "overall" if g.segment is None else g.segment
    names = _segments(rows)
    if wanted in names:
        return rows[rows["segment"].astype(str) == wanted]
    same = [s for s in names if _key(s) == _key(wanted)]
    if len(same) == 1:
        return rows[rows["segment"].astype(str) == same[0]]
    if same:
        raise ConfigError(f"{where}: segment {wanted!r} is ambiguous: it matches "
                          f"{', '.join(repr(s) for s in same)} when case is ignored; "
                          "write it exactly")
    elsewhere = sorted({str(m) for m, s in zip(results["metric"], results["segment"],
                                               strict=True)
                        if _key(str(s)) == _key(wanted)})
    hint = (f"; {wanted!r} is a segment of {', '.join(elsewhere)}" if elsewhere
            else did_you_mean(wanted, names))
    raise ConfigError(f"{where}: unknown segment {wanted!r} for {g.metric}{hint}; segments of "
                      f"{g.metric}: {', '.join(names)}")


def _limit(g: Guardrail, r: Mapping[Any, Any], times: Sequence[float], alpha: float,
           spending: str, method: str, design_alpha: float) -> float:
    """The one-sided sequential limit of row ``r`` on the scale of ``g.field``; with the
    confidence sequence, its mixing variance is the row's (set at ``design_alpha``)."""
    import math

    from rollout_metrics.infer.always_valid import mixture_variance
    from rollout_metrics.infer.sequential import GROWING, margin_limit

    upper = g.op in ("<", "<=")
    # A window complete before the change does not grow: one look.
    grows = r["comparison"] == GROWING
    look = times if grows else [1.0]
    how = method if grows else "group_sequential"
    tau2 = mixture_variance(r["seq_se"], look[-1], design_alpha)
    limit = float(margin_limit(r["delta"], r["seq_se"], upper, look, alpha, spending,
                               method=how, tau2=tau2))
    if g.field == "delta_rel":
        before = float(r["before"])
        limit = limit / before if before > 0 else math.nan
    return limit


def evaluate_guardrails(results: pd.DataFrame, guards: Iterable[str | Guardrail], *,
                        times: Sequence[float] | None = None, alpha: float = 0.05,
                        spending: str = "obrien_fleming", method: str = "group_sequential"
                        ) -> pd.DataFrame:
    """Every row each guardrail checks, with its outcome (columns :data:`COLUMNS`).

    ``met``: the row's value meets the condition; ``breached``: met by a significant row;
    ``outcome``: ``breached``, ``met, not significant``, ``not met`` or ``not tested``
    (no test on the row, e.g. status ``insufficient_data``).  Raises :class:`ConfigError`
    when a guardrail selects no row (unknown or ambiguous segment, metric not in
    ``results``), listing the segments that exist.

    Monitoring mode: ``times`` (the information fractions of the looks so far, the current
    one last) and ``results`` from :func:`rollout_metrics.infer.sequential.sequential_table`.
    ``limit`` is the one-sided sequential limit of a margin guardrail (rule ``margin``;
    ``breached`` when it is beyond the threshold, ``met, not beyond the margin`` when only
    the estimate is); other guardrails use ``seq_significant`` (rule ``sequential``).
    ``method="confidence_sequence"`` (an unplanned look): the limit and ``seq_significant`` of
    the always-valid confidence sequence (column ``method``).  Without ``times``: rule
    ``fixed``, method ``fixed_horizon``, ``limit`` empty.
    """
    import math

    import pandas as pd

    monitoring = times is not None
    sig_col, p_col = ("seq_significant", "seq_p_adjusted") if monitoring else (
        "significant", "p_adjusted")
    out: list[dict[str, Any]] = []
    problems: list[str] = []
    for item in guards:
        try:
            g = _as_guardrail(item)
            rows = _select(results, g)
        except ConfigError as exc:
            problems.append(str(exc))
            continue
        records = rows.to_dict("records")
        margin = monitoring and g.field in MARGIN_FIELDS and g.op in MARGIN_OPS
        m = max(1, sum(1 for r in records if not pd.isna(r[sig_col])))
        for r in records:
            value = float(r[g.field])
            sig = r[sig_col]
            tested = not pd.isna(sig) and not pd.isna(value)
            met = bool(tested and OPS[g.op](value, g.value))
            limit = math.nan
            if margin and tested:
                assert times is not None
                limit = _limit(g, r, times, alpha / m, spending, method, alpha)
                breached = bool(not math.isnan(limit) and OPS[g.op](limit, g.value))
                near = "met, not beyond the margin"
            else:
                breached = bool(met and bool(sig))
                near = "met, not significant"
            outcome = ("not tested" if not tested else "breached" if breached
                       else near if met else "not met")
            out.append({"guardrail": g.text, "metric": r["metric"],
                        "comparison": r["comparison"], "by": r["by"],
                        "segment": r["segment"], "field": g.field, "op": g.op,
                        "threshold": g.value, "value": value,
                        "significant": None if pd.isna(sig) else bool(sig),
                        "p_adjusted": r[p_col], "status": r["status"], "met": met,
                        "breached": breached, "outcome": outcome, "limit": limit,
                        "rule": ("margin" if margin else "sequential" if monitoring
                                 else "fixed"),
                        "method": (method if monitoring and r["comparison"] == "after_vs_before"
                                   else "fixed_horizon")})
    if problems:
        raise ConfigError("; ".join(problems))
    table = pd.DataFrame(out, columns=COLUMNS)
    return table.astype({"met": bool, "breached": bool})


def breaches(results: pd.DataFrame, guards: Sequence[str | Guardrail]) -> pd.DataFrame:
    """The significant rows that meet any guardrail's condition.

    Columns: ``guardrail``, ``metric``, ``by``, ``segment``, ``field``, ``value``,
    ``p_adjusted``: the breached rows of :func:`evaluate_guardrails`, which raises when a
    guardrail selects no row.
    """
    keep = ["guardrail", "metric", "by", "segment", "field", "value", "p_adjusted"]
    table = evaluate_guardrails(results, guards)
    return table.loc[table["breached"], keep].reset_index(drop=True)
