"""The survey tutorial notebook: structure rules (its runs, from the repository root and from
``notebooks/``, are in tests/test_notebooks.py)."""

from __future__ import annotations

import ast
from pathlib import Path

import jupytext

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
