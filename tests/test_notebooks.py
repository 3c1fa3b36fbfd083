"""Every notebook is thin and runs top to bottom wherever its kernel starts: from the
repository root (papermill, the batch) and from ``notebooks/`` (where JupyterLab starts it),
with nothing but its own default parameters and ``LAGESBILD_DATA`` naming the data folder."""

from __future__ import annotations

from pathlib import Path

import jupytext
import nbformat
import pytest

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


#: Text each notebook must print (besides running without error).
EXPECTED_OUTPUT = {
    "utforska": ["Joinpoint-trend", "Trattdiagram"],
    "survey_tutorial": ["Fay-Herriot", "Rao & Scott"],
    "lagesbild": ["Syntetiska exempeldata"],
    "utvardering": ["Syntetiska exempeldata"],
}


def test_every_notebook_is_executed_below():
    assert {p.stem for p in NOTEBOOKS} == set(EXPECTED_OUTPUT)


@pytest.mark.slow
@pytest.mark.parametrize("where", ["root", "notebooks"])
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_with_its_defaults_from(path, where, full_sample, tmp_path, monkeypatch):
    import papermill

    monkeypatch.setenv("LAGESBILD_DATA", str(full_sample))  # the kernel inherits it
    source = tmp_path / f"{path.stem}.ipynb"
    nbformat.write(jupytext.read(path), source)
    cwd = ROOT if where == "root" else ROOT / "notebooks"
    done = papermill.execute_notebook(source, tmp_path / f"{path.stem}_out.ipynb", cwd=str(cwd),
                                      kernel_name="python3", progress_bar=False,
                                      log_output=False)
    text = "".join(o.get("text", "") + str(o.get("data", {}).get("text/plain", ""))
                   + str(o.get("data", {}).get("text/markdown", ""))
                   for c in done.cells if c.cell_type == "code" for o in c.outputs)
    for expected in EXPECTED_OUTPUT[path.stem]:
        assert expected in text, f"{path.name} run from {where} does not show {expected!r}"


@pytest.mark.slow
def test_survey_tutorial_runs_on_a_data_folder(full_sample, tmp_path, monkeypatch):
    """With ``data_dir`` set, the tutorial reads the survey and margins of that data folder."""
    import papermill

    monkeypatch.setenv("LAGESBILD_DATA", str(full_sample))
    source = tmp_path / "survey_tutorial.ipynb"
    nbformat.write(jupytext.read(ROOT / "notebooks" / "survey_tutorial.py"), source)
    done = papermill.execute_notebook(source, tmp_path / "out.ipynb", cwd=str(ROOT / "notebooks"),
                                      parameters={"data_dir": "data/sample", "kommunkod": "1760"},
                                      kernel_name="python3", progress_bar=False)
    loading = next(c for c in done.cells if "load_dataset(" in c.source)
    text = "".join(o.get("text", "") for o in loading.outputs)
    assert "respondents in" in text and "waves [2019, 2021, 2023, 2025]" in text, text
