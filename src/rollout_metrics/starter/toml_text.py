"""The starter configuration as commented TOML text: every guess visible, every doubt marked.

Lines the user must check carry ``# CHECK:``; the text is valid TOML (checked by the tests
with :mod:`tomllib` and :func:`rollout_metrics.config.load_config`).

Examples
--------
>>> quote('Дата "ухода"')
'"Дата \\\\"ухода\\\\""'
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path

from rollout_metrics.load.schema import TABLES
from rollout_metrics.starter.guess import FileGuess

__all__ = ["quote", "starter_text"]

_MAX_SEGMENT_VALUES = 30


def quote(text: str) -> str:
    """``text`` as a TOML basic string."""
    return json.dumps(text, ensure_ascii=False)


def _read_options(g: FileGuess) -> list[str]:
    p = g.peek
    lines = []
    if p.sheet is not None:
        lines.append(f"sheet = {quote(p.sheet)}")
    if p.encoding not in (None, "utf-8", "utf-8-sig", "ascii"):
        lines.append(f"encoding = {quote(p.encoding or '')}")
    if p.delimiter not in (None, ","):
        lines.append(f"delimiter = {quote(p.delimiter or '')}            # detected")
    mapped = {h: g.profiles[h] for h in g.mapping}
    if any(pr.decimal_comma for pr in mapped.values()):
        lines.append('decimal = ","  # numbers like 8,0')
    dates = [(h, pr) for h, pr in mapped.items() if pr.kind == "datetime" and pr.date_format]
    unproven = [(h, pr) for h, pr in dates if not pr.proven]
    if unproven:
        h, pr = unproven[0]
        timed = max((pr.date_format or "" for _, pr in dates), key=len)
        lines.append(f"date_format = {quote(timed)}  # CHECK: no value proves day-first or "
                     f"month-first (e.g. {h}: {', '.join(pr.examples[:2])})")
    elif dates:
        h, pr = dates[0]
        lines.append(f"# dates such as {pr.examples[0]!s} ({h}): the order is proven by the "
                     "values, no date_format needed")
    return lines


def _columns(g: FileGuess) -> list[str]:
    lines = [f"{quote(h)} = {quote(c)}" for h, c in g.mapping.items() if h != c]
    if g.segments:
        lines.append("# other columns, treated as segment attributes: "
                     + ", ".join(g.segments))
    return lines


def _segments(chosen: dict[str, FileGuess]) -> list[list[str]]:
    by: list[list[str]] = []
    customers = chosen.get("customers")
    if customers is not None:
        by += [[h] for h in customers.segments
               if 1 < customers.profiles[h].distinct <= _MAX_SEGMENT_VALUES]
    tickets = chosen.get("tickets")
    if tickets is not None and "channel" in tickets.mapping.values():
        by.append(["channel"])
    return by


def _metrics(chosen: dict[str, FileGuess]) -> list[str]:
    from rollout_metrics.metrics import DEFAULT_METRICS, REGISTRY
    from rollout_metrics.stats.daily import per_customer

    out = []
    for name in DEFAULT_METRICS:
        spec = REGISTRY[name]
        g = chosen.get(spec.table)
        if "customers" not in chosen and per_customer(spec):
            continue
        if g is not None and (spec.needs is None or spec.needs in g.mapping.values()):
            out.append(name)
    return out


def _path(g: FileGuess, config_dir: Path) -> str:
    try:
        return g.peek.path.resolve().relative_to(config_dir.resolve()).as_posix()
    except ValueError:
        return g.peek.path.resolve().as_posix()


def starter_text(chosen: dict[str, FileGuess], rest: Sequence[FileGuess], *, folder: Path,
                 config_dir: Path, change_date: dt.date | None, lang: str) -> str:
    """The commented TOML of a starter configuration for the tables in ``chosen``."""
    out = [f"# Starter configuration from `rollout-metrics init` for {folder}.",
           "# Check every line marked CHECK, then run:",
           "#   rollout-metrics report --config <this file> --out reports/report.html",
           "# Every key: docs/rollout.example.toml in the rollout-metrics repository.",
           f"title = {quote('Rollout of ' + str(change_date) if change_date else 'Rollout')}",
           f"lang = {quote(lang)}", "", "[data]"]
    for table in TABLES:
        g = chosen.get(table)
        if g is None:
            note = (" (none found: the metrics per active customer and customer segments "
                    "are left out)" if table == "customers"
                    else " (none found: the revenue metrics are left out)" if table == "orders"
                    else f" (none found: the metrics of {table} are left out)")
            out.append(f"# {table} = \"...\"{note}")
            continue
        out.append(f"{table} = {quote(_path(g, config_dir))}   # {g.peek.label}: "
                   f"first {g.peek.rows} rows looked at, {len(g.peek.columns)} columns")
        out += [f"# CHECK: {table}: {d}" for d in g.doubts]
    for g in rest:
        why = f"also looks like {g.table}" if g.table else "no table recognised"
        out.append(f"# not used: {g.peek.label} ({why})")
    ordered = [(t, chosen[t]) for t in TABLES if t in chosen]
    for table, g in ordered:
        if opts := _read_options(g):
            out += ["", f"[data.read.{table}]", *opts]
    for table, g in ordered:
        if cols := _columns(g):
            out += ["", f"[data.columns.{table}]   # your column -> ours", *cols]
    out += ["", "[rollout]"]
    if change_date is None:
        out.append("# CHECK: change_date is required: the first day of the new terms")
        out.append("# change_date = 2025-09-01")
    else:
        out.append(f"change_date = {change_date.isoformat()}   # first day of the new terms")
    out += ["# announced = 2025-08-11          # optional: the day the change was announced",
            "pre_days = 56", "post_days = 56",
            'timezone = "UTC"                  # CHECK: the timezone of the export\'s '
            'timestamps, e.g. "Europe/Moscow"', "", "[analysis]"]
    by = _segments(chosen)
    text = f"by = [{', '.join('[' + ', '.join(quote(c) for c in b) + ']' for b in by)}]"
    out.append(text + "   # each segment column on its own" if by else
               "# by = [[\"tier\"]]   # CHECK: no segment column with 2-30 values found")
    metrics = _metrics(chosen)
    out.append(f"metrics = [{', '.join(quote(m) for m in metrics)}]" if metrics else
               "# metrics: CHECK: none of the default metrics has the columns it needs")
    return "\n".join(out) + "\n"
