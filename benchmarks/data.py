"""Generate (once) the benchmark dataset with the package's own generator.

``python benchmarks/data.py --tickets 10_000_000`` writes about 1M customers, 2M surveys
and 10M tickets as Parquet to ``benchmarks/.cache/10m`` (git-ignored) and does nothing
when that folder is already complete.  Prints the folder.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

CACHE = Path(__file__).resolve().parent / ".cache"
TABLES = ("customers", "surveys", "tickets")


def parse_count(text: str) -> int:
    """``"10_000_000"`` or ``"10000000"`` as an int."""
    return int(text.replace("_", ""))


def folder_for(tickets: int) -> Path:
    """Cache folder of a dataset size: ``10m`` for 10,000,000 tickets, ``250k`` ..."""
    if tickets % 1_000_000 == 0:
        return CACHE / f"{tickets // 1_000_000}m"
    if tickets % 1_000 == 0:
        return CACHE / f"{tickets // 1_000}k"
    return CACHE / str(tickets)


def is_complete(folder: Path) -> bool:
    return all((folder / f"{t}.parquet").is_file() for t in TABLES) and (
        folder / "truth.json").is_file()


def ensure(tickets: int) -> Path:
    """Path of the Parquet dataset with ``tickets`` tickets, generating it if missing."""
    folder = folder_for(tickets)
    if is_complete(folder):
        return folder
    cmd = [sys.executable, "-m", "rollout_metrics.sample", "--tickets", str(tickets),
           "--out", str(folder), "--format", "parquet"]
    print("generating:", " ".join(cmd), file=sys.stderr)
    subprocess.run(cmd, check=True)
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=parse_count, default=10_000_000)
    args = parser.parse_args(argv)
    print(ensure(args.tickets))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
