"""Command line for scheduled runs: ``rollout-metrics report --config rollout.toml``.

Exit codes: 0 the report was written and no guardrail was breached; 1 a guardrail was
breached by a *significant* row (the report is still written); 2 a bad configuration,
bad data or bad arguments (a one-line message on stderr, no traceback).

A guardrail is ``metric[segment].field OP number``: ``nps.delta < -5`` checks the overall
row, ``nps[VIP].delta < -5`` the rows of segment ``VIP``, ``nps[*].delta < -5`` every
row; fields are the numeric columns of the results table; only ``after_vs_before`` rows
are checked.  Conditions are parsed with a regular expression, never evaluated as code.

Examples
--------
>>> parse_guardrail("nps[VIP].delta < -5")
Guardrail(metric='nps', segment='VIP', field='delta', op='<', value=-5.0, text='nps[VIP].delta < -5')
"""

from __future__ import annotations

import argparse
import datetime as dt
import operator
import os
import re
import sys
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from rollout_metrics.errors import ConfigError, RolloutMetricsError

__all__ = ["Guardrail", "breaches", "load_config", "main", "parse_guardrail"]

SAMPLE_BY: list[list[str]] = [["tier"], ["channel"]]
KNOWN: dict[str, set[str]] = {
    "": {"title", "data", "rollout", "analysis", "guardrails"},
    "data": {"path", "customers", "surveys", "tickets", "columns", "strict"},
    "rollout": {"change_date", "announced", "pre_days", "post_days", "washout_days",
                "timezone"},
    "analysis": {"by", "metrics", "alpha", "correction", "min_n", "handling_stat",
                 "n_resamples", "seed"},
    "guardrails": {"fail_on"},
}
OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
    "==": operator.eq, "!=": operator.ne,
}
FIELDS = ("delta", "delta_rel", "before", "after", "ci_low", "ci_high", "p_value",
          "p_adjusted", "mde")
_GUARD = re.compile(
    r"^\s*(?P<metric>[A-Za-z_]+)(?:\[(?P<segment>[^\]]+)\])?\.(?P<field>[A-Za-z_]+)\s*"
    r"(?P<op><=|>=|==|!=|<|>)\s*(?P<value>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$"
)


@dataclass(frozen=True)
class Guardrail:
    """One parsed ``--fail-on`` condition."""

    metric: str
    segment: str | None
    field: str
    op: str
    value: float
    text: str


def parse_guardrail(text: str) -> Guardrail:
    """Parse ``metric[segment].field OP number``; :class:`ConfigError` when malformed."""
    m = _GUARD.match(text)
    if not m:
        raise ConfigError(
            f"bad guardrail {text!r}: expected metric[segment].field OP number, "
            "e.g. 'nps[VIP].delta < -5'")
    if m["field"] not in FIELDS:
        raise ConfigError(f"bad guardrail {text!r}: unknown field {m['field']!r}; "
                          f"fields: {list(FIELDS)}")
    return Guardrail(m["metric"], m["segment"], m["field"], m["op"], float(m["value"]),
                     text.strip())


def breaches(results: pd.DataFrame, guards: Sequence[Guardrail]) -> pd.DataFrame:
    """The significant ``after_vs_before`` rows that meet any guardrail's condition."""
    found = []
    for g in guards:
        rows = results[(results["metric"] == g.metric)
                       & (results["comparison"] == "after_vs_before")]
        if g.segment is None:
            rows = rows[rows["segment"] == "overall"]
        elif g.segment != "*":
            rows = rows[rows["segment"].astype(str) == g.segment]
        for _, r in rows.iterrows():
            value = float(r[g.field])
            significant = pd.notna(r["significant"]) and bool(r["significant"])
            if significant and OPS[g.op](value, g.value):
                found.append({"guardrail": g.text, "metric": r["metric"], "by": r["by"],
                              "segment": r["segment"], "field": g.field, "value": value,
                              "p_adjusted": r["p_adjusted"]})
    return pd.DataFrame(found)


def _check_keys(section: dict[str, Any], name: str, path: Path) -> None:
    unknown = sorted(set(section) - KNOWN[name])
    if unknown:
        where = f"[{name}]" if name else "the top level"
        raise ConfigError(f"{path}: unknown key(s) {unknown} in {where}; known keys: "
                          f"{sorted(KNOWN[name])}")


def load_config(path: str | Path) -> dict[str, Any]:
    """Read and check a rollout TOML file; relative data paths are relative to it."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        config = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    _check_keys(config, "", path)
    for name in ("data", "rollout", "analysis", "guardrails"):
        section = config.setdefault(name, {})
        if not isinstance(section, dict):
            raise ConfigError(f"{path}: [{name}] must be a table")
        _check_keys(section, name, path)
    data = config["data"]
    for key in ("path", "customers", "surveys", "tickets"):
        if key in data:
            p = Path(data[key])
            data[key] = p if p.is_absolute() else path.parent / p
            if not data[key].exists() and not any(data[key].parent.glob(data[key].name)):
                raise ConfigError(f"{path}: [data] {key}: file not found: {data[key]}")
    if "path" not in data and "customers" not in data:
        raise ConfigError(f"{path}: [data] needs 'path' (a folder) or 'customers' (a file)")
    if "change_date" not in config["rollout"]:
        raise ConfigError(f"{path}: [rollout] change_date is required")
    return config


def _rollout(config: dict[str, Any], path: Path) -> Any:
    from rollout_metrics.rollout import Rollout

    spec = dict(config["rollout"])
    for key in ("change_date", "announced"):
        value = spec.get(key)
        if value is None or isinstance(value, dt.date):
            continue
        try:
            spec[key] = dt.date.fromisoformat(str(value))
        except ValueError:
            raise ConfigError(f"{path}: [rollout] {key}: not a date like 2025-09-01: "
                              f"{value!r}") from None
    try:
        return Rollout(**spec)
    except RolloutMetricsError as exc:
        raise ConfigError(f"{path}: [rollout] {exc}") from None


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="rollout-metrics", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("report", help="compare before vs after and write the HTML report")
    src = r.add_mutually_exclusive_group(required=True)
    src.add_argument("--config", type=Path, help="rollout TOML file")
    src.add_argument("--sample", action="store_true", help="use the bundled sample data")
    r.add_argument("--out", type=Path, default=Path("reports/report.html"))
    r.add_argument("--fail-on", action="append", default=[], metavar="COND",
                   help="exit 1 when a significant row meets COND, e.g. 'nps[VIP].delta < -5'")
    r.add_argument("--n-resamples", type=int, default=None, help="bootstrap resamples")
    r.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    return p


def _run(args: argparse.Namespace) -> int:
    from rollout_metrics.report.builder import build_report, timed

    say = timed(args.quiet)
    guards = [parse_guardrail(c) for c in args.fail_on]
    analysis: dict[str, Any]
    if args.sample:
        from rollout_metrics.load.dataset import load_sample
        from rollout_metrics.rollout import Rollout

        say("loading the bundled sample")
        data = load_sample()
        rollout = Rollout("2025-09-01", announced="2025-08-11")
        by, title, analysis = SAMPLE_BY, "Sample rollout report", {}
    else:
        from rollout_metrics.load.dataset import load_dataset

        config = load_config(args.config)
        rollout = _rollout(config, args.config)
        d = config["data"]
        guards += [parse_guardrail(c) for c in config["guardrails"].get("fail_on", [])]
        say(f"loading data ({args.config})")
        source = d["path"] if "path" in d else {
            t: d[t] for t in ("customers", "surveys", "tickets") if t in d}
        data = load_dataset(source, columns=d.get("columns"), timezone=rollout.timezone,
                            strict=bool(d.get("strict", False)))
        analysis = dict(config["analysis"])
        by = analysis.pop("by", [])
        title = config.get("title", "Rollout report")
    if args.n_resamples is not None:
        analysis["n_resamples"] = args.n_resamples
    report = build_report(data, rollout, by=by, title=title, progress=say, **analysis)
    say(f"writing {args.out}")
    report.to_html(args.out)
    say(f"done: {args.out} ({args.out.stat().st_size:,} bytes)")
    found = breaches(report.results, guards)
    if not found.empty:
        print(f"guardrail breached by {len(found)} significant row(s):", file=sys.stderr)
        print(found.to_string(index=False), file=sys.stderr)
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``rollout-metrics`` command; returns the exit code."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    try:
        return _run(args)
    except RolloutMetricsError as exc:
        print(f"rollout-metrics: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
