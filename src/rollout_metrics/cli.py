"""Command line for scheduled runs: ``rollout-metrics report --config rollout.toml``.

Exit codes, for a scheduler:

* 0 - the report was written and no guardrail was breached;
* 1 - a guardrail was breached by a *significant* row: the report is still written and the
  breached rows are printed on stderr;
* 2 - bad configuration, bad data or bad arguments: a one-line message on stderr, no
  traceback, no report written (a previous report at ``--out`` is left as it was);
* 3 - an unexpected internal error: a one-line message on stderr naming a log file that
  holds the full traceback (``OUT.log`` next to the report, or a temporary file when that
  folder cannot be written).

The configuration file is checked against one typed schema before any data is read
(:mod:`rollout_metrics.config`); guardrails (``--fail-on`` and ``[guardrails] fail_on``)
are described in :mod:`rollout_metrics.report.guardrails`.

With a ``[monitor]`` table the run is one look of a group-sequential design
(:mod:`rollout_metrics.monitor`): it works out its look from ``--run-date`` (default: today in
the rollout's timezone), analyses the after window up to that look's planned day, decides the
guardrails on the sequential limits and records the look in the run history (a re-run of the
same look replaces it).  A run before the first planned look exits 0 without a report.
``--json FILE`` writes a machine-readable summary of a run that wrote its report (exit 0 or
1).  The report is written to a
temporary file and renamed, so a failed run never leaves a truncated report.

Only the standard library is imported at start-up, so ``--help`` and ``--version`` answer
at once; pandas, the data loader and the report builder are imported by the command.

Examples
--------
>>> main(["--version"])  # doctest: +ELLIPSIS
rollout-metrics ...
0
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

from rollout_metrics import __version__
from rollout_metrics.config import load_config
from rollout_metrics.errors import ConfigError, RolloutMetricsError
from rollout_metrics.report.guardrails import (
    FIELDS,
    Guardrail,
    breaches,
    check_guardrails,
    parse_guardrail,
)

__all__ = ["EXIT_BREACH", "EXIT_INTERNAL", "EXIT_INVALID", "EXIT_OK", "FIELDS", "Guardrail",
           "breaches", "load_config", "long_lived", "main", "parse_guardrail"]

EXIT_OK, EXIT_BREACH, EXIT_INVALID, EXIT_INTERNAL = 0, 1, 2, 3
DEFAULT_OUT = Path("reports/report.html")
SAMPLE_BY: list[list[str]] = [["tier"], ["channel"]]

DESCRIPTION = ("Compare customer metrics (NPS, CSAT, churn, complaints, handling time) before "
               "and after a change of terms, per segment, and write one self-contained HTML "
               "report.")
EPILOG = """\
exit codes:
  0  report written, no guardrail breached
  1  report written, a guardrail breached by a significant row (rows on stderr)
  2  bad configuration, bad data or bad arguments (one line on stderr, no report)
  3  unexpected internal error (one line on stderr; full traceback in OUT.log)

guardrails: metric[segment].field OP number, e.g. 'nps[VIP].delta < -5',
  'complaints[*].delta_rel > 0.3', 'churn.transition_vs_before.delta > 0.5';
  fields: delta, delta_rel, before, after, ci_low, ci_high, p_value, p_adjusted, mde

scheduled run (cron, Mondays at 06:00; cron mails any output):
  0 6 * * 1  cd /srv/rollout && .venv/bin/rollout-metrics report --quiet \\
      --config rollout.toml --out reports/weekly.html || echo "rollout-metrics exit $?"

monitoring mode ([monitor] schedule = "daily" in rollout.toml; each run is one look,
  guardrails decided on sequential limits, looks kept in reports/rollout.history.jsonl):
  30 6 * * *  cd /srv/rollout && .venv/bin/rollout-metrics report --quiet \\
      --config rollout.toml --out reports/daily.html --json reports/daily.json \\
      || echo "rollout-metrics exit $?"
"""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (the usage folded in)."""

    def error(self, message: str) -> NoReturn:
        usage = " ".join(self.format_usage().split())
        self.exit(EXIT_INVALID, f"{self.prog}: error: {message}; {usage}\n")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text!r}")
    return value


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a date like 2025-10-06, got {text!r}"
                                         ) from None


def _parser() -> argparse.ArgumentParser:
    raw = argparse.RawDescriptionHelpFormatter
    p = _Parser(prog="rollout-metrics", description=DESCRIPTION, epilog=EPILOG,
                formatter_class=raw)
    p.add_argument("--version", action="version", version=f"rollout-metrics {__version__}",
                   help="print the version and exit")
    sub = p.add_subparsers(dest="command", required=True, title="commands", metavar="COMMAND")
    r = sub.add_parser(
        "report", help="compare before vs after, write the HTML report, check guardrails",
        description="Compare before vs after and write the HTML report; exit 1 when a "
                    "guardrail is breached.", epilog=EPILOG, formatter_class=raw)
    src = r.add_mutually_exclusive_group(required=True)
    src.add_argument("--config", type=Path, metavar="FILE",
                     help="the rollout TOML file (every key: docs/rollout.example.toml); "
                          "relative data paths in it are relative to it")
    src.add_argument("--sample", action="store_true",
                     help="run on the bundled synthetic sample instead of a config "
                          "(segments: tier, channel)")
    r.add_argument("--out", type=Path, default=DEFAULT_OUT, metavar="FILE",
                   help=f"the HTML report to write (default: {DEFAULT_OUT}); written to a "
                        "temporary file and renamed, so a failed run keeps the previous "
                        "report")
    r.add_argument("--fail-on", action="append", default=[], metavar="COND",
                   help="exit 1 when a significant row meets COND, e.g. "
                        "'nps[VIP].delta < -5'; repeatable, added to the config's "
                        "[guardrails] fail_on (default: none)")
    r.add_argument("--n-resamples", type=_positive, default=None, metavar="N",
                   help="bootstrap resamples (default: the config's n_resamples, else 2000)")
    r.add_argument("--json", type=Path, default=None, metavar="FILE",
                   help="also write a machine-readable summary (rows, guardrails, decision, "
                        "exit code, look) to FILE when the report is written (default: none)")
    r.add_argument("--run-date", type=_date, default=None, metavar="DATE",
                   help="monitoring mode: the day of this run, YYYY-MM-DD (default: today "
                        "in the rollout's timezone); data of that day itself is not used")
    r.add_argument("--pdf", action="store_true",
                   help="also print the report to a PDF beside it (OUT with .pdf) with "
                        "headless Chromium: on PATH or $ROLLOUT_METRICS_CHROMIUM "
                        "(default: HTML only)")
    r.add_argument("--lang", choices=("en", "ru"), default=None,
                   help="the report's language (default: the config's lang, else en)")
    r.add_argument("--quiet", action="store_true",
                   help="no progress lines on stderr (default: one line per step)")
    i = sub.add_parser(
        "init", help="guess a starter rollout.toml from a folder of exports",
        description="Look at the CSV, Parquet and Excel files of FOLDER, guess which table "
                    "each holds and which column is which (Russian and English headers, "
                    "the values), and write a commented starter configuration; lines to "
                    "check are marked CHECK.")
    i.add_argument("folder", type=Path, metavar="FOLDER", help="the folder of export files")
    i.add_argument("--out", type=Path, default=None, metavar="FILE",
                   help="the configuration to write (default: FOLDER/rollout.toml)")
    i.add_argument("--change-date", type=_date, default=None, metavar="DATE",
                   help="the first day of the new terms, YYYY-MM-DD (default: none; the "
                        "file then asks for it)")
    i.add_argument("--force", action="store_true",
                   help="replace an existing configuration file (default: keep it, exit 2)")
    return p


def _progress(quiet: bool) -> Callable[[str], None]:
    start = time.perf_counter()

    def say(msg: str) -> None:
        if not quiet:
            print(f"[{time.perf_counter() - start:6.1f}s] {msg}", file=sys.stderr, flush=True)

    return say


def _check_out(out: Path) -> None:
    """Fail before any work when the report cannot be written to ``out``."""
    if out.is_dir():
        raise ConfigError(f"--out {out} is a folder; give a file name such as "
                          f"{out / 'report.html'}")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".probe")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise ConfigError(f"--out {out}: cannot write to the folder {out.parent}: "
                          f"{exc.strerror or exc}") from None


def _init(args: argparse.Namespace) -> int:
    from rollout_metrics.starter import write_starter

    out = args.out or args.folder / "rollout.toml"
    starter = write_starter(args.folder, out, change_date=args.change_date,
                            overwrite=args.force)
    for table in ("customers", "surveys", "tickets"):
        if (g := starter.tables.get(table)) is None:
            continue
        print(f"{table}: {g.peek.label} ({len(g.mapping)} columns mapped, "
              f"{len(g.segments)} segment columns)", file=sys.stderr)
    for g in starter.rest:
        print(f"not used: {g.peek.label}", file=sys.stderr)
    for u in starter.unreadable:
        print(f"not read: {u}", file=sys.stderr)
    todo = out.read_text(encoding="utf-8").count("CHECK:")
    print(f"wrote {out}: {todo} line(s) marked CHECK to look at"
          f"{'' if args.change_date else ' (set change_date)'}; then run "
          f"rollout-metrics report --config {out}", file=sys.stderr)
    return EXIT_OK


@contextlib.contextmanager
def long_lived() -> Iterator[None]:
    """Import a command's libraries with Python's cyclic garbage collector paused, then
    leave what they built out of its later passes (:func:`gc.freeze`).

    Modules, classes and functions live as long as the process; without this, each pass
    of the collector over the oldest objects walks the hundreds of thousands that pandas,
    SciPy, statsmodels and matplotlib create, and so does a forked child drawing figures.
    On the sample report: imports 1.26 -> 1.05 s, the whole run 3.9 -> 3.2 s
    (``benchmarks/report_speed.py``).  Used by the command line (a command runs once per
    process, so nothing frozen is garbage it needs back), not when :func:`main` is called
    with arguments from a longer-lived process.

    Examples
    --------
    >>> import gc
    >>> with long_lived():
    ...     import json
    >>> frozen = gc.get_freeze_count()
    >>> gc.unfreeze()  # this test's process goes on
    >>> gc.isenabled() and frozen > 0
    True
    """
    import gc

    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was:
            gc.enable()


def _run(args: argparse.Namespace, *, own_process: bool = False) -> int:
    if args.command == "init":
        return _init(args)
    say = _progress(args.quiet)
    cli_guards = [parse_guardrail(c) for c in args.fail_on]
    if args.sample:
        config = None
        announced = True
    else:
        config = load_config(args.config)
        announced = config.rollout.announced is not None
    from rollout_metrics.metrics import DEFAULT_METRICS

    metrics = list((config.analysis.metrics if config else None) or DEFAULT_METRICS)
    guards = check_guardrails([*(config.guardrails.fail_on if config else ()), *cli_guards],
                              metrics, announced=announced)
    _check_out(args.out)
    if args.pdf:  # before any work: no Chromium, no run
        from rollout_metrics.report.pdf import find_chromium

        find_chromium()

    with long_lived() if own_process else contextlib.nullcontext():
        from rollout_metrics.load.dataset import load_dataset, load_sample
        from rollout_metrics.report.builder import build_report
        from rollout_metrics.rollout import Rollout

    options: dict[str, Any]
    if config is None:
        say("loading the bundled sample")
        data = load_sample()
        rollout = Rollout("2025-09-01", announced="2025-08-11")
        by: Any = SAMPLE_BY
        title, options = "Sample rollout report", {}
        metrics = _supported(data, metrics, guards)
        monitor = _monitor(args, config, rollout, say)
    else:
        rollout = config.to_rollout()
        monitor = _monitor(args, config, rollout, say)
        if monitor is not None and monitor["look"].number == 0:
            return EXIT_OK
        say(f"loading data ({args.config})")
        data = load_dataset(config.data.source(), columns=config.data.columns,
                            timezone=rollout.timezone, strict=config.data.strict,
                            read=config.data.read_options())
        extra = "; ".join(f"{t}: {', '.join(c)}" for t, c in data.extra_columns.items() if c)
        if extra:
            say(f"columns that are not ours, usable as segments (by=): {extra}")
        if not config.analysis.metrics:
            metrics = _supported(data, metrics, guards)
        by, title, options = config.analysis.by, config.title, config.analysis.options()
    if args.n_resamples is not None:
        options["n_resamples"] = args.n_resamples
    lang = args.lang or (config.lang if config else "en")
    analysed = rollout if monitor is None else monitor["look"].rollout(rollout)
    report = build_report(data, analysed, metrics, by=by, title=title, progress=say, lang=lang,
                          guardrails=guards, **options)
    if monitor is not None:
        report = _sequential_report(report, guards, monitor, options)
    say(f"writing {args.out}")
    try:
        report.to_html(args.out)
    except OSError as exc:
        raise ConfigError(f"cannot write the report to {args.out}: {exc.strerror or exc}; "
                          "any previous report there is unchanged") from None
    say(f"done: {args.out} ({args.out.stat().st_size:,} bytes)")
    if args.pdf:
        pdf = report.pdf(args.out.with_suffix(".pdf"))
        say(f"done: {pdf} ({pdf.stat().st_size:,} bytes)")
    table = report.guardrails
    for text, rows in table[table["outcome"] == "not tested"].groupby("guardrail", sort=False):
        cells = ", ".join(f"{r.metric} {r.segment} ({r.status})" for r in rows.itertuples())
        print(f"rollout-metrics: warning: guardrail {text!r}: {len(rows)} row(s) not tested: "
              f"{cells}", file=sys.stderr)
    found = report.breaches
    code = EXIT_OK
    if not found.empty:
        if monitor is None:
            keep = ["guardrail", "metric", "by", "segment", "field", "value", "p_adjusted"]
            print(f"guardrail breached by {len(found)} significant row(s):", file=sys.stderr)
        else:
            keep = ["guardrail", "metric", "by", "segment", "field", "value", "limit"]
            print(f"guardrail breached by {len(found)} row(s) whose sequential limit is "
                  "beyond the threshold:", file=sys.stderr)
        print(found[keep].to_string(index=False), file=sys.stderr)
        code = EXIT_BREACH
    if monitor is not None:
        _record(monitor, report, data, code)
    if args.json is not None:
        _write_json(args, report, data, monitor, code, rollout)
    return code


def _supported(data: Any, metrics: list[str], guards: list[Guardrail]) -> list[str]:
    """The default metrics the data can feed; each one left out is named on stderr (the
    revenue metrics without an orders table silently), and a guardrail on one is an
    error."""
    from rollout_metrics.stats.daily import supported_metrics

    kept, skipped = supported_metrics(data, metrics, quiet_optional=True)
    for message in skipped:
        print(f"rollout-metrics: note: left out: {message}", file=sys.stderr)
    left = {m.split(":")[0] for m in skipped}
    bad = sorted({g.metric for g in guards} & left)
    if bad:
        raise ConfigError(f"guardrails on {', '.join(bad)}, which the data cannot feed: "
                          + "; ".join(m for m in skipped if m.split(":")[0] in bad))
    if not kept:
        raise ConfigError("none of the default metrics can run on this data: "
                          + "; ".join(skipped))
    return kept


def _monitor(args: argparse.Namespace, config: Any, rollout: Any,
             say: Callable[[str], None]) -> dict[str, Any] | None:
    """The look of this run in monitoring mode (``None`` without ``[monitor]``)."""
    if config is None or config.monitor is None:
        if args.run_date is not None:
            raise ConfigError("--run-date needs monitoring mode: a [monitor] table in the "
                              "configuration")
        return None
    import zoneinfo

    from rollout_metrics.monitor import History, Schedule, run_look

    schedule = Schedule.from_config(config.monitor, rollout.post_days)
    path = config.monitor.history or args.out.parent / f"{config.file.stem}.history.jsonl"
    history = History(path)
    run_date = args.run_date or dt.datetime.now(zoneinfo.ZoneInfo(rollout.timezone)).date()
    look = run_look(schedule, rollout, run_date, history)
    start = rollout.windows()["after"][0].date()
    if look.number == 0:
        first = start + dt.timedelta(days=schedule.days[0])
        print(f"rollout-metrics: no look due yet on {run_date}: the first of "
              f"{len(schedule.days)} looks is on {first} (it uses the after window's days "
              f"before that date); nothing written", file=sys.stderr)
    else:
        say(f"monitoring: look {look.number} of {len(schedule.days)}, after-window days "
            f"{look.days} of {rollout.post_days} (data before {start + dt.timedelta(look.days)})"
            f", information {look.times[-1]:.3f}, {look.spending} spending, history {path}")
    return {"look": look, "history": history, "run_date": run_date,
            "cutoff": start + dt.timedelta(days=look.days),
            "run_time": dt.datetime.now(dt.UTC).replace(microsecond=0)}


def _sequential_report(report: Any, guards: list[Guardrail], monitor: dict[str, Any],
                       options: dict[str, Any]) -> Any:
    """The report with its rows' sequential columns and the guardrails decided on them."""
    import dataclasses

    from rollout_metrics.monitor import guardrail_table, sequential_results
    from rollout_metrics.report.builder import guardrail_context
    from rollout_metrics.report.summary import text_for

    look = monitor["look"]
    alpha = options.get("alpha", 0.05)
    results = sequential_results(report.results, look, alpha=alpha,
                                 correction=options.get("correction", "fdr_bh"))
    table = guardrail_table(results, guards, look, alpha)
    context = dict(report.context)
    if guards:
        context["guardrails"] = guardrail_context(table, text_for(context.get("lang", "en")))
    # The look and the interval that decides are stated by the history section, in the
    # report's language.
    return dataclasses.replace(report, results=results, context=context, guardrails=table)


def _record(monitor: dict[str, Any], report: Any, data: Any, code: int) -> None:
    from rollout_metrics.monitor import history_entry

    entry = history_entry(monitor["look"], monitor["run_time"], monitor["run_date"],
                          monitor["cutoff"], report.results, report.guardrails,
                          data.fingerprint(), __version__)
    entry["exit_code"] = code
    try:
        monitor["history"].record(entry)
    except OSError as exc:
        raise ConfigError(f"cannot write the run history {monitor['history'].path}: "
                          f"{exc.strerror or exc}") from None


def _write_json(args: argparse.Namespace, report: Any, data: Any,
                monitor: dict[str, Any] | None, code: int, rollout: Any) -> None:
    import json

    from rollout_metrics.monitor import summary
    from rollout_metrics.report.builder import write_atomic

    doc = summary(rollout=rollout.describe(), results=report.results, guards=report.guardrails,
                  exit_code=code, version=__version__, fingerprint=data.fingerprint(),
                  quality=data.quality, look=None if monitor is None else monitor["look"],
                  run_time=None if monitor is None else monitor["run_time"],
                  cutoff=None if monitor is None else monitor["cutoff"], report=str(args.out))
    try:
        write_atomic(args.json, json.dumps(doc, indent=2, allow_nan=False) + "\n")
    except OSError as exc:
        raise ConfigError(f"cannot write --json {args.json}: {exc.strerror or exc}") from None


def _one_line(text: str, limit: int = 500) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[:limit - 3] + "..."


def _write_log(out: Path | None, argv: Sequence[str], trace: str) -> Path | None:
    """Write the traceback next to the report (``OUT.log``), else to a temporary file."""
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    text = (f"rollout-metrics {__version__}: internal error at {now}\n"
            f"arguments: {list(argv)}\npython {sys.version}\n\n{trace}")
    if out is not None:
        log = out.with_name(out.name + ".log")
        try:
            log.parent.mkdir(parents=True, exist_ok=True)
            log.write_text(text, encoding="utf-8")
            return log
        except OSError:
            pass
    try:
        fd, name = tempfile.mkstemp(prefix="rollout-metrics-", suffix=".log")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        return Path(name)
    except OSError:
        return None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``rollout-metrics`` command; returns the exit code."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    arguments = list(sys.argv[1:] if argv is None else argv)
    try:
        args = _parser().parse_args(arguments)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_INVALID if exc.code else EXIT_OK
    try:
        return _run(args, own_process=argv is None)
    except RolloutMetricsError as exc:
        print(f"rollout-metrics: error: {_one_line(str(exc), 2000)}", file=sys.stderr)
        return EXIT_INVALID
    except Exception as exc:
        log = _write_log(getattr(args, "out", None), arguments, traceback.format_exc())
        what = _one_line(f"{type(exc).__name__}: {exc}", 200)
        if log is None:  # nowhere to write it: the traceback is better on the console than lost
            traceback.print_exc()
            print(f"rollout-metrics: internal error ({what}); no log file could be written",
                  file=sys.stderr)
        else:
            print(f"rollout-metrics: internal error ({what}); the full traceback is in {log}",
                  file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
