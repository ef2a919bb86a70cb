"""Notebooks: the jupytext pairs are in sync and both notebooks run top to bottom.

Running a notebook starts a kernel and draws every figure (about 10-20 s each), so those runs
are marked slow: `make test` runs them, `make quick` checks only that the pairs are in sync.
"""

from __future__ import annotations

from pathlib import Path

import jupytext
import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NAMES = ["01_quickstart", "02_segment_report"]


@pytest.mark.parametrize("name", NAMES)
def test_pair_in_sync(name: str) -> None:
    from_py = jupytext.read(NOTEBOOKS / f"{name}.py")
    committed = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    assert [(c.cell_type, c.source) for c in from_py.cells] == \
        [(c.cell_type, c.source) for c in committed.cells], (
        f"{name}.ipynb is out of date: run jupytext --sync notebooks/{name}.py")


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs(name: str, tmp_path: Path) -> None:
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    params = [i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])]
    if params:
        # What papermill does: a cell after the tagged one overrides the defaults.
        out = (tmp_path / "report.html").as_posix()
        nb.cells.insert(params[0] + 1, nbformat.v4.new_code_cell(
            f"out = {out!r}\nn_resamples = 300"))
    # "python3" resolves to the ipykernel of this environment (a fresh .venv needs no
    # `ipykernel install`); the kernel runs with the notebooks folder as cwd.
    client = NotebookClient(nb, kernel_name="python3", timeout=300,
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs), "no figure displayed"
    if params:
        assert (tmp_path / "report.html").stat().st_size > 10_000


def test_papermill_reads_every_parameter(caplog: pytest.LogCaptureFixture) -> None:
    # papermill skips (with a warning) a parameter line holding a second "=", e.g. in its
    # comment, and then warns "Passed unknown parameter" when it is overridden.
    import logging

    from papermill.inspection import inspect_notebook

    with caplog.at_level(logging.WARNING, logger="papermill"):
        found = inspect_notebook(str(NOTEBOOKS / "02_segment_report.ipynb"))
    assert set(found) == {"data_path", "change_date", "announced", "segments", "metrics",
                          "title", "out", "n_resamples", "seed"}
    assert not [r for r in caplog.records if "Unable to parse" in r.getMessage()]
