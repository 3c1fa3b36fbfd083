"""Structure tests: one source of dependencies, the README's commands, CI, notebooks."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(req: str) -> tuple[str, str]:
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?\s*(.*)$", req)
    assert m, req
    return m.group(1).lower().replace("_", "-"), m.group(2).replace(" ", "")


def test_environment_yml_mirrors_pyproject():
    py = tomllib.loads((ROOT / "pyproject.toml").read_text())
    wanted = dict(_name(r) for r in py["project"]["dependencies"])
    wanted.update(_name(r) for r in py["project"]["optional-dependencies"]["test"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    got: dict[str, str] = {}
    pip_section: list[str] = []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip_section = dep["pip"]
            continue
        name, spec = _name(dep.replace("=", "==", 1) if re.match(r"^[^<>=!]+=[^=]", dep) else dep)
        got[name] = spec
    assert got.pop("python") == "==3.11"
    got.pop("pip")
    for dep in pip_section:
        if dep.strip().startswith("-e"):
            continue
        name, spec = _name(dep)
        got[name] = spec
    assert got == wanted
    assert any(d.strip() == "-e ." for d in pip_section), "environment.yml must install the project"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python3 tasks.py test" in readme
    assert "python3 tasks.py reports" in readme
    assert re.search(r"^python3 tasks.py test\s*$", ci, re.M)


def test_layout_of_the_design_card():
    for path in ["notebooks", "src/analysis", "data", "reports", "tests", "environment.yml",
                 "README.md", "benchmarks", "pyproject.toml", "ARCHITECTURE.md", ".gitignore"]:
        assert (ROOT / path).exists(), path


def test_files_named_in_readme_exist():
    readme = (ROOT / "README.md").read_text()
    for rel in re.findall(r"`((?:docs|notebooks|benchmarks|src|tests)/[^`\s]+)`", readme):
        if "*" in rel:
            assert list(ROOT.glob(rel)), f"README names {rel}, which matches nothing"
        else:
            assert (ROOT / rel).exists(), f"README names {rel}, which does not exist"


def test_no_notebook_outputs_committed():
    for nb in ROOT.rglob("*.ipynb"):
        rel = nb.relative_to(ROOT)
        if rel.parts[0] in (".venv", "reports") or ".ipynb_checkpoints" in rel.parts \
                or rel.parts[:2] == ("benchmarks", "results"):
            continue
        data = json.loads(nb.read_text(encoding="utf-8"))
        for cell in data.get("cells", []):
            if cell.get("cell_type") == "code":
                assert not cell.get("outputs") and not cell.get("execution_count"), nb


def _tasks():
    import importlib.util
    spec = importlib.util.spec_from_file_location("lagesbild_tasks_pkg", ROOT / "tasks.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_reports_task_writes_the_sample_again_when_it_is_from_another_generator(tmp_path):
    """`python3 tasks.py reports` must not report on a sample an upgrade has made stale."""
    import json

    from analysis.sample import SAMPLE_VERSION
    tasks = _tasks()
    assert not tasks.sample_is_current(tmp_path / "none")
    (tmp_path / "DATASET.json").write_text(json.dumps({"version": SAMPLE_VERSION}))
    assert tasks.sample_is_current(tmp_path)
    (tmp_path / "DATASET.json").write_text(json.dumps({"version": "0.9"}))
    assert not tasks.sample_is_current(tmp_path)
    (tmp_path / "DATASET.json").write_text("{not json")
    assert not tasks.sample_is_current(tmp_path)


def test_the_test_task_runs_in_parallel_unless_told_otherwise():
    tasks = _tasks()
    chosen = tasks.parallel_args([])
    assert chosen == [] or chosen[:1] == ["-n"]
    for given in (["-n", "0"], ["-p", "no:xdist"], ["tests/test_cli.py::test_x"], ["--numprocesses=3"]):
        assert tasks.parallel_args(given) == []
