"""What the values of one peeked column look like: dates, flags, numbers or text.

A column is of a kind when at least 90% of its non-empty values are (empty: the loader's
null markers).  Text dates record what proves their order: a first field above 12 proves
day-first, a second field above 12 month-first; ISO dates need no proof.

Examples
--------
>>> p = profile(["31.08.2025 14:05", "01.09.2025 09:00", ""])
>>> p.kind, p.date_format, p.proven
('datetime', '%d.%m.%Y %H:%M', True)
>>> p = profile(["8,0", "10", "Н/Д"])
>>> p.kind, p.low, p.high, p.decimal_comma, p.integers
('number', 8.0, 10.0, True, True)
>>> profile(["да", "нет", "нет"]).kind, profile(["Москва", "Казань"]).kind
('flag', 'text')
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from rollout_metrics._engine.peek import as_text
from rollout_metrics.load.options import FALSE_VALUES, NULL_VALUES, TRUE_VALUES

__all__ = ["Profile", "profile"]

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
                  r"(?:Z|[+-]\d{2}(?::?\d{2})?)?$")
_NUMERIC_DATE = re.compile(r"^(\d{1,2})([./-])(\d{1,2})\2(\d{4})(?: (\d{1,2}:\d{2})(:\d{2})?)?$")
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:[.,]\d+)?|[.,]\d+)$")
_WORDS = frozenset(TRUE_VALUES + FALSE_VALUES)
_SHARE = 0.9


@dataclass(frozen=True)
class Profile:
    """The kind of a column's values and what else the starter config needs to know."""

    kind: str
    values: int = 0
    distinct: int = 0
    low: float | None = None
    high: float | None = None
    integers: bool = False
    decimal_comma: bool = False
    date_format: str | None = None
    proven: bool = False
    examples: tuple[str, ...] = ()

    def fits(self, kind: str) -> bool:
        """Whether the values can be read as ``kind`` (a 0/1 column is a flag too)."""
        if kind == "flag" and self.kind == "number":
            return self.integers and self.low is not None and self.low >= 0 and (
                self.high is not None and self.high <= 1)
        return self.kind in (kind, "empty")


def _dates(texts: Sequence[str]) -> tuple[int, str | None, bool]:
    """How many of ``texts`` are dates, their strftime format and whether it is proven."""
    iso = sum(bool(_ISO.match(t)) for t in texts)
    found = [m for t in texts if (m := _NUMERIC_DATE.match(t))]
    if iso >= len(found):
        return iso, None, True
    day = any(int(m[1]) > 12 for m in found)
    month = any(int(m[3]) > 12 for m in found)
    sep = found[0][2]
    # Unproven: dotted dates are day-first by convention, slashed ones month-first (US).
    first_month = (month and not day) or (not day and not month and sep == "/")
    date = f"%m{sep}%d{sep}%Y" if first_month else f"%d{sep}%m{sep}%Y"
    timed = sum(m[5] is not None for m in found) * 2 > len(found)
    return len(found), date + (" %H:%M" if timed else ""), day != month


def profile(values: Sequence[Any]) -> Profile:
    """The :class:`Profile` of a column's sample ``values``."""
    typed = [v for v in values if v is not None]
    if typed and all(isinstance(v, dt.datetime | dt.date) for v in typed):
        return Profile("datetime", len(typed), len(set(typed)), proven=True)
    if typed and all(isinstance(v, bool) for v in typed):
        return Profile("flag", len(typed), len(set(typed)))
    texts = [t.strip() for v in typed if (t := as_text(v)) is not None]
    texts = [t for t in texts if t.casefold() not in NULL_VALUES]
    n = len(texts)
    examples = tuple(dict.fromkeys(texts))[:3]
    if not n:
        return Profile("empty")
    distinct = len(set(texts))
    text = Profile("text", values=n, distinct=distinct, examples=examples)
    dates, fmt, proven = _dates(texts)
    if dates >= _SHARE * n:
        return replace(text, kind="datetime", date_format=fmt, proven=proven)
    numbers = [t for t in texts if _NUMBER.match(t)]
    if {t.casefold() for t in texts} <= _WORDS and len(numbers) < n:
        return replace(text, kind="flag")
    if len(numbers) >= _SHARE * n:
        parsed = [float(t.replace(",", ".")) for t in numbers]
        return replace(text, kind="number", low=min(parsed), high=max(parsed),
                       integers=all(x.is_integer() for x in parsed),
                       decimal_comma=any("," in t for t in numbers))
    return text
