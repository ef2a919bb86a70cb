"""The rollout specification and the periods around the change.

Boundary rule: periods are half-open intervals of whole days in the rollout's
timezone.  ``before`` ends where the announcement starts (or at the change date
when there is none); ``transition`` runs from the announcement up to the change
date; ``after`` starts at the change date plus the washout, so **the change date
belongs to ``after``**.

Examples
--------
>>> r = Rollout("2025-09-01", announced="2025-08-11")
>>> {k: (str(a.date()), str(b.date())) for k, (a, b) in r.windows().items()}
{'before': ('2025-06-16', '2025-08-11'), 'transition': ('2025-08-11', '2025-09-01'), \
'after': ('2025-09-01', '2025-10-27')}
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

import narwhals as nw

from rollout_metrics.errors import PeriodError

__all__ = ["PERIODS", "Rollout"]

PERIODS = ("before", "transition", "after")
DateLike = str | dt.date


def _as_date(value: DateLike, what: str) -> dt.date:
    if isinstance(value, dt.datetime):
        if value.time() != dt.time(0):
            raise PeriodError(f"{what} must be a calendar date, got a time of day: {value}")
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise PeriodError(f"{what} must be a date like 2025-09-01, got {value!r}") from exc


def _midnight(day: dt.date) -> dt.datetime:
    # Naive on purpose: every timestamp in a Dataset is naive wall-clock time in its timezone.
    return dt.datetime(day.year, day.month, day.day)  # noqa: DTZ001


@dataclass(frozen=True)
class Rollout:
    """When the new terms were announced and took effect, and the windows to compare.

    Parameters
    ----------
    change_date
        The first day of the new terms; it belongs to the ``after`` period.
    announced
        Day the change was announced (customers react early); ``None`` when it wasn't.
    pre_days, post_days
        Length of the ``before`` and ``after`` windows in days.  The defaults are whole
        weeks (8 weeks each) so both windows have the same day-of-week mix.
    washout_days
        Days after the change date left out of ``after`` (settling-in period).
    timezone
        Timezone in which days start; must match the dataset's.
    segment_dates
        Per-segment change dates for staggered rollouts; see :meth:`per_segment`.
    """

    change_date: dt.date
    announced: dt.date | None = None
    pre_days: int = 56
    post_days: int = 56
    washout_days: int = 0
    timezone: str = "UTC"
    segment_column: str | None = None
    segment_dates: dict[str, dt.date] = field(default_factory=dict)

    def __init__(
        self,
        change_date: DateLike,
        announced: DateLike | None = None,
        pre_days: int = 56,
        post_days: int = 56,
        washout_days: int = 0,
        timezone: str = "UTC",
        segment_column: str | None = None,
        segment_dates: dict[str, DateLike] | None = None,
    ) -> None:
        set_ = object.__setattr__
        set_(self, "change_date", _as_date(change_date, "change_date"))
        set_(self, "announced", None if announced is None else _as_date(announced, "announced"))
        for name, value, low in (("pre_days", pre_days, 1), ("post_days", post_days, 1),
                                 ("washout_days", washout_days, 0)):
            if not isinstance(value, int) or value < low:
                raise PeriodError(f"{name} must be a whole number >= {low}, got {value!r}")
        set_(self, "pre_days", pre_days)
        set_(self, "post_days", post_days)
        set_(self, "washout_days", washout_days)
        set_(self, "timezone", timezone)
        set_(self, "segment_column", segment_column)
        set_(self, "segment_dates", {
            str(k): _as_date(v, f"change date of segment {k!r}")
            for k, v in (segment_dates or {}).items()
        })
        if self.announced is not None and self.announced >= self.change_date:
            raise PeriodError(
                f"announced ({self.announced}) must be before change_date ({self.change_date})"
            )

    @classmethod
    def per_segment(
        cls, column: str, dates: dict[str, DateLike], **kwargs: Any
    ) -> Rollout:
        """A staggered rollout: each value of ``column`` has its own change date.

        The earliest date becomes ``change_date``; segments absent from ``dates`` are
        never treated (controls).

        Examples
        --------
        >>> r = Rollout.per_segment("region", {"North": "2025-09-01", "South": "2025-10-06"})
        >>> str(r.change_date), r.for_segment("South").change_date.isoformat()
        ('2025-09-01', '2025-10-06')
        """
        if not dates:
            raise PeriodError("per_segment needs at least one segment with a change date")
        parsed = {k: _as_date(v, f"change date of segment {k!r}") for k, v in dates.items()}
        return cls(min(parsed.values()), segment_column=column,
                   segment_dates=dict(parsed), **kwargs)

    def for_segment(self, segment: str) -> Rollout:
        """The rollout as seen by one segment of a staggered rollout."""
        if segment not in self.segment_dates:
            raise PeriodError(
                f"segment {segment!r} has no change date; known: {sorted(self.segment_dates)}"
            )
        day = self.segment_dates[segment]
        shift = day - self.change_date
        return replace(
            self, change_date=day,
            announced=None if self.announced is None else self.announced + shift,
            segment_column=None, segment_dates={},
        )

    # -- windows -------------------------------------------------------------------
    @property
    def anchor(self) -> dt.date:
        """The day ``before`` ends: the announcement, or the change date without one."""
        return self.announced or self.change_date

    def windows(self) -> dict[str, tuple[dt.datetime, dt.datetime]]:
        """Half-open ``[start, end)`` of each period, as naive midnights in ``timezone``."""
        day = dt.timedelta(days=1)
        out = {"before": (_midnight(self.anchor - self.pre_days * day), _midnight(self.anchor))}
        if self.announced is not None:
            out["transition"] = (_midnight(self.announced), _midnight(self.change_date))
        after_start = self.change_date + self.washout_days * day
        out["after"] = (_midnight(after_start), _midnight(after_start + self.post_days * day))
        return out

    @property
    def span(self) -> tuple[dt.datetime, dt.datetime]:
        """From the start of ``before`` to the end of ``after``."""
        w = self.windows()
        return w["before"][0], w["after"][1]

    def period_expr(self, column: str) -> nw.Expr:
        """A narwhals expression naming the period of timestamp ``column`` (null outside).

        Washout days and days outside the windows get null.
        """
        w = self.windows()
        c = nw.col(column)
        expr = nw.when((c >= w["before"][0]) & (c < w["before"][1])).then(nw.lit("before"))
        if "transition" in w:
            expr = expr.when((c >= w["transition"][0]) & (c < w["transition"][1])).then(
                nw.lit("transition")
            )
        return expr.when((c >= w["after"][0]) & (c < w["after"][1])).then(
            nw.lit("after")
        ).otherwise(None)

    def period_of(self, when: dt.datetime) -> str | None:
        """The period of one naive timestamp (for scripts and tests)."""
        for name, (start, end) in self.windows().items():
            if start <= when < end:
                return name
        return None

    def coverage(self, data_start: dt.datetime, data_end: dt.datetime) -> dict[str, str]:
        """Check the windows against the data's time range ``[data_start, data_end]``.

        Returns ``{period: message}`` for windows only partly covered (reported as
        ``partial_window``, never silently shortened); raises :class:`PeriodError` when a
        window has no data at all.
        """
        notes: dict[str, str] = {}
        for name, (start, end) in self.windows().items():
            if data_end < start or data_start >= end:
                raise PeriodError(
                    f"the {name} window [{start.date()}, {end.date()}) lies outside the data, "
                    f"which runs from {data_start} to {data_end}"
                )
            if data_start > start or data_end < end - dt.timedelta(microseconds=1):
                notes[name] = (
                    f"the {name} window [{start.date()}, {end.date()}) is only partly covered "
                    f"by the data ({data_start} to {data_end})"
                )
        return notes

    def describe(self) -> str:
        """One line for reports: the dates and window lengths."""
        parts = [f"change {self.change_date}"]
        if self.announced:
            parts.append(f"announced {self.announced}")
        parts.append(f"before {self.pre_days} d, after {self.post_days} d")
        if self.washout_days:
            parts.append(f"washout {self.washout_days} d")
        parts.append(f"timezone {self.timezone}")
        if self.segment_dates:
            staggered = ", ".join(f"{k}: {v}" for k, v in sorted(self.segment_dates.items()))
            parts.append(f"staggered by {self.segment_column} ({staggered})")
        return "; ".join(parts)
