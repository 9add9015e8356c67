"""The notebooks run top to bottom on the bundled samples, so they never rot.

Executed with nbclient in a kernel of this interpreter: the ``python3`` kernelspec
that ipykernel installs in the environment (jupyter_client starts it with
``sys.executable``). A throw-away SQLite store stands in for the history.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
CELL_TIMEOUT = 120


def notebooks() -> list[Path]:
    return sorted(NOTEBOOKS.glob("*.ipynb"))


def test_there_are_notebooks() -> None:
    assert {p.name for p in notebooks()} >= {"profile-a-build.ipynb", "runs-over-time.ipynb"}


def test_committed_notebooks_carry_no_outputs() -> None:
    # Outputs would be stale the moment the samples or figures change.
    for path in notebooks():
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, path.name


@pytest.mark.parametrize("path", notebooks(), ids=lambda p: p.name)
def test_notebook_runs_top_to_bottom(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KITPROF_DB", raising=False)
    # the kernel inherits the environment: plotly must render into the notebook
    monkeypatch.delenv("PLOTLY_RENDERER", raising=False)
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute()
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert not errors
    figures = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if "application/vnd.plotly.v1+json" in output.get("data", {})
    ]
    assert figures, "no plotly figure was drawn"
