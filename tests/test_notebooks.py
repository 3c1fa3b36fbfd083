"""Every notebook runs: the exploration notebook on the full sample (the report templates are
executed in test_lagesbild_report.py, tests/measure_evaluation and tests/survey)."""

from __future__ import annotations

from pathlib import Path

import jupytext
import pytest

from analysis.batch import run_batch

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.py"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_thin_and_has_one_literal_parameters_cell(path):
    nb = jupytext.read(path)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one parameters cell"
    import ast
    for stmt in ast.parse(tagged[0].source).body:
        assert isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Constant), \
            f"parameters must be literals: {ast.unparse(stmt)}"
    for cell in nb.cells:
        if cell.cell_type == "code":
            tree = ast.parse(cell.source)
            assert not any(isinstance(n, (ast.FunctionDef, ast.ClassDef)) for n in ast.walk(tree)), \
                "templates call analysis; functions belong in the package"


@pytest.mark.slow
def test_exploration_notebook_runs_on_the_sample(full_sample, tmp_path):
    result = run_batch(ROOT / "notebooks" / "utforska.py",
                       [{"data_dir": str(full_sample), "kommunkod": "1760"}], out_dir=tmp_path,
                       jobs=1, formats=("ipynb",), name_key="kommunkod", progress=False)
    assert result.ok, result.summary()
