"""Time the sample report (``rollout-metrics report --sample``) stage by stage; print a table.

Each run is a fresh subprocess (so imports are paid as the command line pays them) that
times, in wall seconds and CPU seconds of the process:

* ``imports``: ``rollout_metrics`` and everything the report step imports;
* ``load``: :func:`rollout_metrics.load_sample`;
* ``compare``, ``designs``, ``tables``, ``figures``: the steps of :func:`build_report`,
  cut at its progress messages (``comparing`` … ``trend check`` … ``tables`` … the first
  ``plot`` … its end): ``designs`` is the trend check with its interrupted time series,
  reading the over-time figure's data (a child draws it from then on) and the mix shift;
  ``tables`` the sentences, tables, grid and forest plots; ``figures`` the ECDF and
  Kaplan-Meier curves drawn here and the wait for the child's over-time figure;
* ``render``: :meth:`Report.html` and writing the file.

Bytecode is cached as on a user's machine (``PYTHONDONTWRITEBYTECODE`` is not passed on)
and a first run, not counted, warms it and the sample's cache.  The table shows the
median of ``--runs`` runs (3 by default) per stage and in total,
against the 3 s target of the whole sample report.  ``--lang ru`` runs the Russian report.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STAGES = ("imports", "load", "compare", "designs", "tables", "figures", "render")
TARGET_S = 3.0


def worker(lang: str) -> dict[str, dict[str, float]]:
    """One run of the sample report in this process: seconds per stage (wall, CPU)."""
    marks: list[tuple[str, float, float]] = [("start", time.perf_counter(), time.process_time())]

    def mark(name: str) -> None:
        marks.append((name, time.perf_counter(), time.process_time()))

    from rollout_metrics.cli import SAMPLE_BY, long_lived

    with long_lived():  # as the command line imports them
        import rollout_metrics as rm
        from rollout_metrics.report.builder import build_report

    mark("imports")
    data = rm.load_sample()
    mark("load")
    cuts = {"trend check": "compare", "tables": "designs", "plot": "tables"}
    seen: set[str] = set()

    def progress(msg: str) -> None:
        for prefix, stage in cuts.items():
            if msg.startswith(prefix) and stage not in seen:
                seen.add(stage)
                mark(stage)

    rollout = rm.Rollout("2025-09-01", announced="2025-08-11")
    report = build_report(data, rollout, by=SAMPLE_BY, title="Sample rollout report",
                          lang=lang, progress=progress)
    mark("figures")
    with tempfile.TemporaryDirectory() as folder:
        report.to_html(Path(folder) / "report.html")
    mark("render")
    out: dict[str, dict[str, float]] = {}
    for (_, w0, c0), (name, w1, c1) in itertools.pairwise(marks):
        out[name] = {"wall": w1 - w0, "cpu": c1 - c0}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--lang", choices=("en", "ru"), default="en")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.lang)))
        return
    # As on a user's machine: Python keeps the compiled modules (``__pycache__``), and
    # the sample's validated copy is in its cache; one run first that is not counted.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    runs = []
    for i in range(-1, args.runs):
        done = subprocess.run([sys.executable, __file__, "--worker", "--lang", args.lang],
                              check=True, capture_output=True, text=True, env=env)
        if i < 0:
            continue
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
        total = sum(s["wall"] for s in runs[-1].values())
        print(f"run {i + 1}: {total:.2f} s wall", file=sys.stderr)
    print(f"sample report ({args.lang}), median of {args.runs} runs, seconds")
    print(f"{'stage':<10}{'wall':>8}{'cpu':>8}")
    for stage in STAGES:  # code without a stage's progress message counts it in the next
        none = {"wall": 0.0, "cpu": 0.0}
        wall = statistics.median(r.get(stage, none)["wall"] for r in runs)
        cpu = statistics.median(r.get(stage, none)["cpu"] for r in runs)
        print(f"{stage:<10}{wall:>8.2f}{cpu:>8.2f}")
    wall = statistics.median(sum(s["wall"] for s in r.values()) for r in runs)
    cpu = statistics.median(sum(s["cpu"] for s in r.values()) for r in runs)
    print(f"{'total':<10}{wall:>8.2f}{cpu:>8.2f}")
    verdict = "within" if wall <= TARGET_S else "over"
    print(f"target {TARGET_S:.1f} s wall: {verdict} ({wall / TARGET_S:.2f}x the target)")


if __name__ == "__main__":
    main()
