"""Exception types of rollout-metrics.

One base class, grouped by the kind of problem, so callers can catch
``RolloutMetricsError`` for everything or a specific subclass; :func:`did_you_mean` phrases
the closest known name in a message.

Examples
--------
>>> did_you_mean("NPS", ["nps", "csat"])
" (did you mean 'nps'?)"
>>> did_you_mean("delta_real", ["delta", "delta_rel", "before"])
" (did you mean 'delta_rel' or 'delta'?)"
>>> did_you_mean("zzz", ["nps"])
''
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "ConfigError",
    "DataValidationError",
    "InsufficientDataError",
    "MissingColumnError",
    "PeriodError",
    "RolloutMetricsError",
    "closest",
    "did_you_mean",
]


class RolloutMetricsError(Exception):
    """Base class of every error raised by rollout-metrics."""


class DataValidationError(RolloutMetricsError, ValueError):
    """Input data cannot be used: wrong type, unparseable column, or a row rule in strict mode."""


class MissingColumnError(DataValidationError, KeyError):
    """A required column (or a requested segment column) is absent.

    Subclasses ``KeyError`` for callers that expect it, but prints like a ``ValueError``.
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class PeriodError(RolloutMetricsError, ValueError):
    """The rollout specification or a period window is invalid or empty."""


class InsufficientDataError(RolloutMetricsError, ValueError):
    """Too few observations for the requested model or test."""


class ConfigError(RolloutMetricsError, ValueError):
    """A configuration is invalid: the TOML file (unknown key, missing file, bad value) or a
    guardrail (malformed, or naming a metric, segment, field or comparison that is not there)."""


def closest(name: str, options: Iterable[str], n: int = 3) -> list[str]:
    """The known ``options`` closest to ``name``: equal ignoring case first, then similar."""
    opts = list(dict.fromkeys(str(o) for o in options))
    same_case = [o for o in opts if o.casefold() == name.casefold()]
    if same_case:
        return same_case[:n]
    import difflib

    folded = {o.casefold(): o for o in opts}
    return [folded[m] for m in difflib.get_close_matches(name.casefold(), list(folded), n=n,
                                                          cutoff=0.6)]


def did_you_mean(name: str, options: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest known option, or an empty string."""
    found = closest(name, options)
    if not found:
        return ""
    return f" (did you mean {' or '.join(repr(f) for f in found)}?)"
