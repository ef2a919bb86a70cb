"""The built wheel works on its own: sample included, console script installed (slow).

Builds the wheel from this checkout, installs it with ``--no-deps`` into a fresh virtual
environment in a temporary folder outside the checkout, and runs the installed
``rollout-metrics`` command there. The dependencies come from the environment running the
tests: a ``.pth`` file in the new environment lists this interpreter's site-packages. A
folder added by a ``.pth`` file is not itself scanned for ``.pth`` files, so the
checkout's editable install (a ``.pth`` in that folder) does not leak in; the tests check
that ``rollout_metrics`` is imported from the new environment.
"""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 300  # seconds per step; the whole module takes about 15-30 s


@dataclass(frozen=True)
class Installed:
    """A fresh virtual environment with the wheel installed, and a folder to run in."""

    venv: Path
    python: Path
    scripts: Path
    workdir: Path
    env: dict[str, str]


def _major(dist: str) -> int | None:
    """Major version of an installed distribution; ``None`` when it is not installed."""
    try:
        return int(importlib.metadata.version(dist).split(".")[0])
    except importlib.metadata.PackageNotFoundError:
        return None


def _run(cmd: list[str | Path], cwd: Path | None = None, env: dict[str, str] | None = None
         ) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=TIMEOUT, check=False)
    assert proc.returncode == 0, (
        f"{' '.join(map(str, cmd))} exited {proc.returncode}\n"
        f"stdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}")
    return proc


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    if (_major("setuptools") or 0) < 77 or _major("wheel") is None:
        pytest.fail("building the wheel needs setuptools>=77 and wheel in this environment "
                    "(the dev extra: pip install -e '.[dev]')")
    base = tmp_path_factory.mktemp("wheel")
    assert not base.resolve().is_relative_to(ROOT), "the temporary folder must be outside"

    # Build from the project root; setuptools' build folder and egg-info go to the temporary
    # folder (DIST_EXTRA_CONFIG), so the checkout gets no build/ and no stale files.
    dist, build = base / "dist", base / "build"
    build.mkdir()
    extra = build / "setup.cfg"
    extra.write_text(f"[build]\nbuild_base = {build / 'build'}\n"
                     f"[egg_info]\negg_base = {build}\n", encoding="utf-8")
    _run([sys.executable, "-m", "pip", "wheel", "--disable-pip-version-check", "-q",
          "--no-deps", "--no-build-isolation", "-w", dist, "."],
         cwd=ROOT, env={**os.environ, "DIST_EXTRA_CONFIG": str(extra)})
    wheels = sorted(dist.glob("rollout_metrics-*.whl"))
    assert len(wheels) == 1, wheels

    venv = base / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv])
    python = venv / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", "--python", python,
          "install", "--no-deps", wheels[0]])
    # Only now (pip must not see the editable install as already satisfying the wheel):
    # the dependencies of this environment, without its .pth files.
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
                     ).stdout.strip())
    ours = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    (site / "_test_dependencies.pth").write_text("\n".join(ours) + "\n", encoding="utf-8")

    workdir = base / "run"
    workdir.mkdir()
    # Nothing from the checkout on the path: no PYTHONPATH, no user site-packages.
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV")}
    env |= {"PYTHONNOUSERSITE": "1", "MPLBACKEND": "Agg"}
    return Installed(venv=venv, python=python, scripts=venv / "bin", workdir=workdir, env=env)


def test_package_is_imported_from_the_new_environment(installed: Installed) -> None:
    code = ("import sys, rollout_metrics as rm; "
            "from rollout_metrics.load.dataset import sample_path; "
            "data = rm.load_sample(); print(rm.__file__); print(sample_path()); "
            "print(data.fingerprint()); print(*sys.path, sep='\\n')")
    out = _run([installed.python, "-c", code], cwd=installed.workdir,
               env=installed.env).stdout.splitlines()
    module, sample, fingerprint, path = Path(out[0]), Path(out[1]), out[2], out[3:]
    assert module.is_relative_to(installed.venv), module
    assert sample.is_relative_to(installed.venv), sample
    assert fingerprint.startswith("customers 5,000, surveys 31,849, tickets 40,444")
    # No other copy of the package is reachable (an editable install's src/ folder).
    others = [p for p in path if p and (Path(p) / "rollout_metrics").is_dir()
              and not Path(p).is_relative_to(installed.venv)]
    assert not others, others


def test_console_script_writes_the_sample_report(installed: Installed) -> None:
    out = installed.workdir / "report.html"
    script = installed.scripts / "rollout-metrics"
    assert script.is_file()
    proc = _run([script, "report", "--sample", "--quiet", "--out", out],
                cwd=installed.workdir, env=installed.env)
    assert proc.stderr == ""
    html = out.read_text(encoding="utf-8")
    assert "customers 5,000, surveys 31,849, tickets 40,444" in html  # the data fingerprint
    assert "VIP" in html and "Sample rollout report" in html
