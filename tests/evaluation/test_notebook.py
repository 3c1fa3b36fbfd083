"""The evaluation notebook: structure, and a run on a small sample directory."""

import ast
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "utvardering.py"


def _cells():
    import jupytext

    return jupytext.read(NOTEBOOK).cells


def test_one_parameters_cell_of_literals():
    cells = [c for c in _cells() if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1
    tree = ast.parse(cells[0].source)
    names = {}
    for node in tree.body:
        assert isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
        names[node.targets[0].id] = node.value.value
    assert set(names) == {"measure_id", "data_dir", "language", "shared_cache_dir"}
    assert names["shared_cache_dir"] is None  # a notebook run alone computes for itself
    assert names["language"] == "sv"


def test_thin_template():
    for c in _cells():
        if c.cell_type == "code":
            tree = ast.parse(c.source)
            assert not any(isinstance(n, (ast.FunctionDef, ast.ClassDef)) for n in ast.walk(tree))
            for n in ast.walk(tree):
                if isinstance(n, (ast.Import, ast.ImportFrom)):
                    mod = n.module if isinstance(n, ast.ImportFrom) else n.names[0].name
                    assert mod.split(".")[0] in ("analysis", "IPython")


@pytest.mark.slow
def test_runs_with_papermill(tmp_path, sample_subset):
    import jupytext
    import papermill as pm

    from analysis.sample import write_sample

    data = tmp_path / "data"
    write_sample(data, kommuner=sample_subset)
    nb = tmp_path / "utvardering.ipynb"
    jupytext.write(jupytext.read(NOTEBOOK), nb)
    out = tmp_path / "out.ipynb"
    measure_id = "M2181-01"
    pm.execute_notebook(str(nb), str(out), parameters={"measure_id": measure_id,
                                                         "data_dir": str(data)},
                        kernel_name="python3", progress_bar=False)
    text = out.read_text()
    assert measure_id in text and "minskning" in text
    assert "Syntetiska exempeldata" in text  # the sample is labelled in the draft
    assert "image/png" in text  # the figures were drawn
