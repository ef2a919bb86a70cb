"""Monitoring mode: repeated scheduled runs of one rollout, their looks and their history.

A cron job that runs the report every week (or day) over the after window looks at the data
again and again.  Monitoring mode makes that a group-sequential design
(:mod:`rollout_metrics.infer.sequential`):

* **The schedule** (:class:`Schedule`): ``looks`` equally spaced over the after window, or a
  look each day / week (the last look at the window's end).  Look ``k`` analyses the after
  window up to its planned day ``day_k`` (exclusive), whatever day the run happens: a run
  between two planned looks is the earlier look again, a run after the window is the last
  look, a run before the first look has nothing to do.
* **The information fraction** of a look is that of the difference after - before with the
  before window fixed: ``t(1 + r)/(t + r)``, ``t`` = the share of the after window observed,
  ``r = pre_days / post_days``.
* **The run history** (:class:`History`): a JSON-lines file, one line per look (look
  number, run time, cutoff, information fraction, data fingerprint, per guardrail the
  estimate, the sequential limit and the decision, and the rows' repeated intervals).  A
  re-run of a look replaces its line, so re-running the same day is idempotent; a missed
  look is simply absent: alpha spending needs only the looks that happened.
* **Unplanned looks** (:func:`run_look`): alpha spending holds its error rate only over looks
  at planned times.  A run between two planned looks, or after the window, is a planned look
  again (same cutoff, its history line replaced), not a new one.  A look is **unplanned**
  when the run history holds a look that this schedule did not plan (the schedule or the
  after window was changed after looks were taken, e.g. weekly looks recorded and then
  ``looks = 4``, which also means more looks than planned), or when there is no schedule at
  all (``run_look(None, ...)``: every run looks at the data up to its run date).  Such a look,
  and every later one while the history holds the off-plan look, is decided on the
  always-valid confidence sequence (:mod:`rollout_metrics.infer.always_valid`), valid
  whatever the number and timing of the looks; ``Look.method`` says which and
  ``Look.reason`` why.
* **A machine-readable summary** (:func:`summary`) beside the report for other tools.

Examples
--------
>>> import datetime as dt
>>> from rollout_metrics.rollout import Rollout
>>> s = Schedule.weekly(56)
>>> s.days
(7, 14, 21, 28, 35, 42, 49, 56)
>>> s.look_on(Rollout("2025-09-01"), dt.date(2025, 9, 17))  # day 16 of the window
(2, 14)
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from rollout_metrics.errors import ConfigError
from rollout_metrics.infer.sequential import (
    SPENDING,
    information_fraction,
    sequential_table,
)
from rollout_metrics.report.guardrails import Guardrail, evaluate_guardrails
from rollout_metrics.rollout import Rollout

__all__ = ["LOOK_ATTR", "History", "Look", "Schedule", "history_view", "look_record",
           "off_plan", "run_look", "summary"]


@dataclass(frozen=True)
class Schedule:
    """Planned looks: ``days[k - 1]`` is the after-window day (count of days observed) of
    look ``k``; the last is the window's length.  ``spending``: the alpha-spending function."""

    days: tuple[int, ...]
    spending: str = "obrien_fleming"

    def __post_init__(self) -> None:
        if not self.days or any(b <= a for a, b in zip(self.days, self.days[1:], strict=False)
                                ) or self.days[0] < 1:
            raise ConfigError(f"planned look days must increase from 1, got {self.days}")
        if self.spending not in SPENDING:
            raise ConfigError(f"unknown spending function {self.spending!r}; choose one of "
                              f"{', '.join(SPENDING)}")

    @classmethod
    def equal(cls, looks: int, post_days: int, spending: str = "obrien_fleming") -> Schedule:
        """``looks`` looks equally spaced over ``post_days`` days (rounded to whole days)."""
        if looks > post_days:
            raise ConfigError(f"[monitor] looks = {looks} is more than one a day over the "
                              f"{post_days}-day after window")
        return cls(tuple(round(k * post_days / looks) for k in range(1, looks + 1)), spending)

    @classmethod
    def weekly(cls, post_days: int, spending: str = "obrien_fleming") -> Schedule:
        """A look every 7 days and one at the window's end."""
        days = [*range(7, post_days, 7), post_days]
        return cls(tuple(days), spending)

    @classmethod
    def daily(cls, post_days: int, spending: str = "obrien_fleming") -> Schedule:
        """A look every day."""
        return cls(tuple(range(1, post_days + 1)), spending)

    @classmethod
    def from_config(cls, section: Any, post_days: int) -> Schedule:
        """From a :class:`rollout_metrics.config.MonitorSection`."""
        if section.looks is not None:
            return cls.equal(section.looks, post_days, section.spending)
        if section.schedule == "daily":
            return cls.daily(post_days, section.spending)
        return cls.weekly(post_days, section.spending)

    def look_on(self, rollout: Rollout, run_date: dt.date) -> tuple[int, int]:
        """``(look number, after-window days it analyses)`` of a run on ``run_date`` (the
        data of ``run_date`` itself is incomplete and not used); look 0: none is due yet."""
        start = rollout.windows()["after"][0].date()
        observed = (run_date - start).days
        done = [d for d in self.days if d <= observed]
        return (len(done), done[-1]) if done else (0, 0)


@dataclass(frozen=True)
class Look:
    """One look of a monitored rollout: its number, the after-window days it analyses, and
    the shares of the after window observed at every look so far (this one last).

    ``method``: ``group_sequential`` (a planned look) or ``confidence_sequence`` (an
    unplanned one, ``reason`` says why); ``cutoff``: the first day not analysed;
    ``history``: the run-history file (the report's history view reads it); ``off_plan``:
    the recorded looks the schedule did not plan, ``(number, day)``."""

    number: int
    days: int
    post_days: int
    pre_days: int
    shares: tuple[float, ...]
    spending: str
    planned: int
    method: str = "group_sequential"
    reason: str = ""
    cutoff: dt.date | None = None
    history: str | None = None
    off_plan: tuple[tuple[int, float], ...] = ()

    @property
    def ratio(self) -> float:
        """Before sample over the planned after sample, at a steady arrival rate."""
        return self.pre_days / self.post_days

    @property
    def times(self) -> list[float]:
        """Information fractions of the looks so far."""
        return [float(t) for t in information_fraction(self.shares, self.ratio)]

    def rollout(self, rollout: Rollout) -> Rollout:
        """The rollout cut to the after-window days this look analyses."""
        return replace(rollout, post_days=self.days)


class History:
    """The run history of one rollout: a JSON-lines file, one line per look."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def read(self) -> list[dict[str, Any]]:
        """Every recorded look, by look number; a damaged line is an error naming it."""
        if not self.path.exists():
            return []
        out = []
        for i, line in enumerate(self.path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                int(record["look"])
                float(record["share"])
            except (ValueError, KeyError, TypeError):
                raise ConfigError(f"run history {self.path}, line {i}: not a record of this "
                                  "tool; fix or move the file") from None
            out.append(record)
        return sorted(out, key=lambda r: int(r["look"]))

    def shares_before(self, look: int) -> list[float]:
        """The observed shares of the recorded looks before ``look``."""
        return [float(r["share"]) for r in self.read() if int(r["look"]) < look]

    def record(self, entry: dict[str, Any]) -> None:
        """Add ``entry``, replacing the line of the same look; written to a temporary file
        and renamed, so a failed run leaves the history as it was."""
        kept = [r for r in self.read() if int(r["look"]) != int(entry["look"])]
        lines = sorted([*kept, entry], key=lambda r: int(r["look"]))
        text = "".join(json.dumps(r, sort_keys=True, default=_plain) + "\n" for r in lines)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        try:
            # mkstemp makes the file private; keep the history's mode, or the usual one
            os.fchmod(fd, self.path.stat().st_mode & 0o777 if self.path.exists()
                      else 0o666 & ~_umask())
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime | pd.Timestamp):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def _number(value: Any) -> float | None:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def off_plan(schedule: Schedule, records: Sequence[dict[str, Any]], post_days: int
             ) -> list[tuple[int, float]]:
    """The recorded looks this schedule did not plan, as ``(look number, after-window
    day)``: a look whose number is beyond the schedule's, or whose day is not the planned
    day of its number."""
    out = []
    for r in records:
        number, day = int(r["look"]), round(float(r["share"]) * post_days, 6)
        if not 1 <= number <= len(schedule.days) or abs(day - schedule.days[number - 1]) > 1e-6:
            out.append((number, day))
    return out


def _same(record: dict[str, Any], number: int, share: float) -> bool:
    return int(record["look"]) == number and abs(float(record["share"]) - share) < 1e-9


def run_look(schedule: Schedule | None, rollout: Rollout, run_date: dt.date,
             history: History) -> Look:
    """The look a run on ``run_date`` makes, given the looks already in ``history``.

    A planned look is decided group-sequentially; an unplanned one (a history look the
    schedule did not plan, or ``schedule=None``: every run a look at the data before
    ``run_date``) on the always-valid confidence sequence (see the module docstring).
    Raises :class:`ConfigError` for a staggered rollout (one change date is needed).  Look
    number 0 means no look is due yet (see :meth:`Schedule.look_on`).

    Examples
    --------
    >>> import tempfile
    >>> h = History(Path(tempfile.mkdtemp()) / "h.jsonl")
    >>> r = Rollout("2025-09-01")
    >>> look = run_look(Schedule.weekly(56), r, dt.date(2025, 9, 17), h)
    >>> look.number, look.days, look.method
    (2, 14, 'group_sequential')
    >>> h.record({"look": 1, "share": 10 / 56})  # a look on day 10: not on the weekly plan
    >>> look = run_look(Schedule.weekly(56), r, dt.date(2025, 9, 17), h)
    >>> look.method, look.reason
    ('confidence_sequence', 'the run history holds look 1 on day 10, not planned')
    >>> look = run_look(None, r, dt.date(2025, 9, 17), h)  # no schedule
    >>> look.number, look.days, look.method
    (2, 16, 'confidence_sequence')
    """
    if rollout.segment_dates:
        raise ConfigError("monitoring needs one change date; the rollout is staggered")
    start = rollout.windows()["after"][0].date()
    records = history.read()
    odd: list[tuple[int, float]] = []
    if schedule is None:
        days = min(max((run_date - start).days, 0), rollout.post_days)
        seen = sorted({int(r["look"]): float(r["share"]) for r in records}.items())
        share = days / rollout.post_days
        before = [(n, s) for n, s in seen if s < share]
        same = [n for n, s in seen if s == share]
        number = 0 if days == 0 else same[0] if same else len(before) + 1
        reason = "no schedule: looks are not planned"
        method, spending, planned = "confidence_sequence", "obrien_fleming", 0
    else:
        number, days = schedule.look_on(rollout, run_date)
        share = days / rollout.post_days
        # a re-run of this look (same number, same day) is not another look
        odd = off_plan(schedule, [r for r in records if not _same(r, number, share)],
                       rollout.post_days)
        method = "confidence_sequence" if odd else "group_sequential"
        # this look's own earlier run under an off-plan number is not news
        odd = [x for x in odd if abs(x[1] - days) > 1e-6] or odd
        said = ", ".join(f"look {n} on day {d:g}" for n, d in odd)
        reason = f"the run history holds {said}, not planned" if odd else ""
        spending, planned = schedule.spending, len(schedule.days)
        before = [(int(r["look"]), float(r["share"])) for r in records
                  if int(r["look"]) < number]
        if odd and number:
            # Off the plan, look numbers of two schedules may clash: a look on a day already
            # recorded keeps that line's number, a new day takes the next free number.
            again = [int(r["look"]) for r in records if abs(float(r["share"]) - share) < 1e-9]
            clash = any(int(r["look"]) == number for r in records)
            if again:
                number = again[0]
            elif clash:
                number = max(int(r["look"]) for r in records) + 1
            before = [(int(r["look"]), float(r["share"])) for r in records]
    earlier = sorted({s for _, s in before if s < share}) if number else []
    return Look(number, days, rollout.post_days, rollout.pre_days, (*earlier, share),
                spending, planned, method, reason, start + dt.timedelta(days=days),
                str(history.path), tuple(odd))


def sequential_results(results: pd.DataFrame, look: Look, *, alpha: float,
                       correction: str) -> pd.DataFrame:
    """compare's rows of ``look`` with their sequential columns."""
    frame = sequential_table(results, look.shares, alpha=alpha, spending=look.spending,
                             correction=correction, ratio=look.ratio, method=look.method)
    # The report's history view and its note on which interval decides read this.
    frame.attrs[LOOK_ATTR] = {**look_record(look), "alpha": alpha}
    return frame


#: Key of :attr:`pandas.DataFrame.attrs` under which :func:`sequential_results` leaves the
#: look (:func:`look_record`) for the report.
LOOK_ATTR = "rollout_metrics.look"


def look_record(look: Look) -> dict[str, Any]:
    """The look in plain values (the summary's ``look`` and the report's hand-off)."""
    return {"number": look.number, "planned": look.planned, "days": look.days,
            "share": look.shares[-1], "information": look.times[-1],
            "spending": look.spending, "method": look.method, "reason": look.reason,
            "cutoff": None if look.cutoff is None else look.cutoff.isoformat(),
            "earlier_shares": list(look.shares[:-1]),
            "off_plan": [list(x) for x in look.off_plan], "history": look.history}


def guardrail_table(results: pd.DataFrame, guards: Sequence[Guardrail], look: Look,
                    alpha: float) -> pd.DataFrame:
    """The guardrails decided at the sequential level of ``look``."""
    return evaluate_guardrails(results, guards, times=look.times, alpha=alpha,
                               spending=look.spending, method=look.method)


ROW_FIELDS = ("metric", "by", "segment", "comparison", "n_before", "n_after", "before",
              "after", "delta", "ci_low", "ci_high", "p_value", "p_adjusted", "significant",
              "information", "seq_method", "seq_ci_low", "seq_ci_high", "seq_p_value",
              "seq_p_adjusted", "seq_significant", "status")
GUARD_FIELDS = ("guardrail", "metric", "comparison", "segment", "field", "op", "threshold",
                "value", "limit", "rule", "method", "significant", "outcome", "breached")


def _records(table: pd.DataFrame, keep: Sequence[str]) -> list[dict[str, Any]]:
    out = []
    for r in table.to_dict("records"):
        item: dict[str, Any] = {}
        for k in keep:
            if k not in r:
                continue
            v = r[k]
            if v is None or v is pd.NA or isinstance(v, str):
                item[k] = None if v is pd.NA else v
            elif isinstance(v, bool) or type(v).__name__ in ("bool_", "bool"):
                item[k] = bool(v)
            else:
                item[k] = _number(v)
        out.append(item)
    return out


def history_entry(look: Look, run_time: dt.datetime, run_date: dt.date, cutoff: dt.date,
                  results: pd.DataFrame, guards: pd.DataFrame, fingerprint: str,
                  version: str) -> dict[str, Any]:
    """The history line of one look."""
    return {
        "look": look.number, "planned_looks": look.planned, "run_time": run_time.isoformat(),
        "run_date": run_date.isoformat(), "cutoff": cutoff.isoformat(),
        "share": look.shares[-1], "information": look.times[-1], "spending": look.spending,
        "method": look.method, "fingerprint": fingerprint, "version": version,
        "guardrails": _records(guards, GUARD_FIELDS),
        "rows": _records(results, ("metric", "by", "segment", "comparison", "delta",
                                   "seq_method", "seq_ci_low", "seq_ci_high",
                                   "seq_p_adjusted", "seq_significant")),
    }


def history_view(path: str | Path) -> pd.DataFrame:
    """The sequential interval per look, for a history plot or table: one row per (look,
    metric, segment, comparison) with ``delta``, ``seq_method``, ``seq_ci_low``,
    ``seq_ci_high``, ``seq_significant``, the look's ``cutoff`` and ``information``
    (``seq_method`` of a look recorded before it was kept: ``group_sequential``)."""
    rows = []
    for rec in History(path).read():
        for r in rec.get("rows", []):
            rows.append({"look": rec["look"], "cutoff": rec["cutoff"],
                         "information": rec["information"],
                         "seq_method": rec.get("method", "group_sequential"), **r})
    cols = ["look", "cutoff", "information", "metric", "by", "segment", "comparison", "delta",
            "seq_method", "seq_ci_low", "seq_ci_high", "seq_p_adjusted", "seq_significant"]
    return pd.DataFrame(rows, columns=cols)


def summary(*, rollout: str, results: pd.DataFrame, guards: pd.DataFrame, exit_code: int,
            version: str, fingerprint: str, quality: pd.DataFrame | None,
            look: Look | None = None, run_time: dt.datetime | None = None,
            cutoff: dt.date | None = None, report: str | None = None) -> dict[str, Any]:
    """The machine-readable summary of a run (``--json``): rollout, look, result rows,
    guardrails, decision, exit code, data-quality counts, version and data fingerprint."""
    breached = guards[guards["breached"].astype(bool)] if not guards.empty else guards
    decision = "breach" if exit_code == 1 else "no breach" if exit_code == 0 else "error"
    out: dict[str, Any] = {
        "tool": "rollout-metrics", "version": version, "rollout": rollout,
        "run_time": (run_time or dt.datetime.now(dt.UTC)).isoformat(),
        "report": report, "fingerprint": fingerprint,
        "decision": decision, "exit_code": exit_code,
        "decided_by": "sequential" if look is not None else "fixed_horizon",
        "look": None if look is None else {
            **{k: v for k, v in look_record(look).items() if k != "history"},
            "cutoff": None if cutoff is None else cutoff.isoformat()},
        "guardrails": _records(guards, GUARD_FIELDS),
        "breaches": len(breached),
        "rows": _records(results, ROW_FIELDS),
        "quality": [] if quality is None else [
            {str(k): (v if isinstance(v, str) else _number(v)) for k, v in r.items()}
            for r in quality.to_dict("records")],
    }
    return out
