"""The survey tutorial notebook: structure rules and a full run on the committed sample."""

from __future__ import annotations

import ast
from pathlib import Path

import jupytext
import pytest

NOTEBOOK = Path(__file__).parents[2] / "notebooks" / "survey_tutorial.py"


def test_notebook_structure():
    nb = jupytext.read(NOTEBOOK)
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1
    tree = ast.parse(params[0].source)
    for node in tree.body:  # literals only: papermill injects over them
        assert isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant), ast.dump(node)
    for cell in nb.cells:
        assert not cell.get("outputs"), "no outputs in the source of truth"
        if cell.cell_type == "code":
            assert "def " not in cell.source and "class " not in cell.source


@pytest.mark.slow
def test_notebook_runs_on_the_sample():
    from nbclient import NotebookClient

    nb = jupytext.read(NOTEBOOK)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "Fay-Herriot" in text and "Rao & Scott" in text
