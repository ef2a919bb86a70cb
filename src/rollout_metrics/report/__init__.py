"""The HTML report: :func:`build_report` returns a :class:`Report`.

``builder`` runs the comparisons and draws the figures, ``summary`` writes the plain-language
sentences, ``template.html.j2`` and ``style.css`` are the self-contained page.
"""

from __future__ import annotations

from rollout_metrics.report.builder import Report, build_report

__all__ = ["Report", "build_report"]
