"""The HTML report: :func:`build_report` returns a :class:`Report`.

``builder`` runs the comparisons and draws the figures, ``summary`` writes the plain-language
sentences, ``guardrails`` checks the conditions a scheduled run alerts on,
``template.html.j2`` and ``style.css`` are the self-contained page.

``Report`` and ``build_report`` are imported on first use (PEP 562), so importing
:mod:`rollout_metrics.report.guardrails` (the command line does, before ``--help``) does
not load pandas, matplotlib or Jinja2.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rollout_metrics.report.builder import Report, build_report

__all__ = ["Report", "build_report"]

#: The languages of the report (``lang``); the words are in :mod:`.i18n`.
LANGS = ("en", "ru")


def __getattr__(name: str) -> Any:
    if name not in ("Report", "build_report"):
        raise AttributeError(f"module 'rollout_metrics.report' has no attribute {name!r}")
    value = getattr(importlib.import_module("rollout_metrics.report.builder"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return list(__all__)
