"""The package layout carries the pipeline: imports only point to earlier steps.

Modelled on CausalPy's checked import rules. Each module belongs to one step; a module may
import its own step and earlier ones, never a later one. Only ``_engine/`` names a dataframe
implementation (DuckDB, Polars, PyArrow, PySpark); ``stats/`` and ``infer/`` work on small
tables only and never import narwhals.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "rollout_metrics"

#: Pipeline steps in order; a module's step is the longest matching prefix.
STEPS: list[tuple[str, ...]] = [
    ("errors", "rollout", "sample"),
    ("_engine",),
    ("load",),
    ("reduce",),
    ("stats", "metrics", "custom"),
    ("infer",),
    ("comparison", "point_metrics"),
    ("designs",),
    ("plots",),
    ("report", "monitor"),
    ("config", "starter", "cli", "__init__", "__main__"),
]
ENGINES = ("duckdb", "polars", "pyarrow", "pyspark")
RANK = {name: i for i, names in enumerate(STEPS) for name in names}


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py"))


def _step(path: Path) -> int:
    rel = path.relative_to(PACKAGE).with_suffix("").parts
    return RANK[rel[0]]


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append(node.module)
            out.extend(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            out.extend(a.name for a in node.names)
    return out


def test_every_module_has_a_step() -> None:
    for path in _modules():
        assert path.relative_to(PACKAGE).parts[0].removesuffix(".py") in RANK, path


def test_no_relative_imports() -> None:
    # Absolute imports make the step of every imported module visible to this test.
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        rel = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level]
        assert not rel, f"{path.relative_to(ROOT)} has relative imports: {rel}"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_follow_the_pipeline(path: Path) -> None:
    own = _step(path)
    for name in _imports(path):
        parts = name.split(".")
        if parts[0] != "rollout_metrics" or len(parts) < 2 or parts[1] not in RANK:
            continue
        assert RANK[parts[1]] <= own, (
            f"{path.relative_to(ROOT)} (step {STEPS[own]}) imports {name}, a later step "
            f"{STEPS[RANK[parts[1]]]}"
        )


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_only_engine_names_engines(path: Path) -> None:
    rel = path.relative_to(PACKAGE).parts
    names = [n.split(".")[0] for n in _imports(path)]
    if rel[0] != "_engine":
        assert not set(names) & set(ENGINES), f"{path.relative_to(ROOT)} imports an engine"
        assert "Implementation." not in path.read_text(encoding="utf-8"), (
            f"{path.relative_to(ROOT)} branches on nw.Implementation")
    if rel[0] in ("stats", "infer"):
        assert "narwhals" not in names, f"{path.relative_to(ROOT)} imports narwhals"


def test_architecture_doc_names_existing_modules() -> None:
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    named = {n for n in re.findall(r"`((?:[\w]+/)*[\w]+\.(?:py|j2|css))`", text)
             if not n.startswith(("tests/", "benchmarks/"))}
    assert named, "ARCHITECTURE.md names no module"
    missing = sorted(n for n in named if not (PACKAGE / n).exists())
    assert not missing, f"ARCHITECTURE.md names modules that do not exist: {missing}"
    documented = {str(p.relative_to(PACKAGE)) for p in _modules() if p.name != "__init__.py"}
    undocumented = sorted(documented - named)
    assert not undocumented, f"modules missing from ARCHITECTURE.md: {undocumented}"
