"""The package tree shows the data flow: layers, no import cycles, every module listed, no twins.

ARCHITECTURE.md lists every module; a new module that it does not list fails here, and so does
an import that points against the flow (a statistics package importing the report layer), an
import cycle (lazy imports inside functions count), a module over 600 lines, and a function
defined in two modules.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "src" / "analysis"
MODULES = sorted(p for p in PKG.rglob("*.py") if "__pycache__" not in p.parts)

#: Layer of each top-level name: a module may import its own layer or lower ones only.
LAYERS = {
    "__init__": 0, "errors": 0, "swedish": 0, "problems": 0, "process": 0,
    "municipalities": 1, "crime_types": 1,
    "spellings": 2, "schemas": 2, "schema_values": 2, "multiplicity": 2, "_special": 2,
    "verdicts": 3,
    "store": 3, "cache": 3,
    "io": 4, "sample": 4, "paths": 4,
    "crime": 5, "survey": 5, "evaluation": 6,
    "report": 7, "batch": 8, "cli": 9, "__main__": 9,
}

#: Same name, different things (not a duplicated implementation); each entry says why.
SAME_NAME_ALLOWED = {
    "main": "entry points of two programs (the CLI and the batch worker process)",
    "coverage_study": "two different simulations: survey intervals vs evaluation designs",
    "indicator_table": "survey estimates (survey.indicators) vs their display table (report.evaluation)",
    "_label": "three different labels: an estimate column, a period, an index row",
    "_finish": "local finishing steps of unrelated functions",
    "_fmt": "number formatting (report.text) vs formula term names (survey._model)",
    "_load": "loading a data folder (report.context) vs a P-table file (io.ptables)",
    "_numeric": "a design column vs an estimator's variable, with different error messages",
    "_run": "a CLI sub-command vs one simulation replicate",
    "_table": "an evaluation table vs an estimate table",
    "_ci": "interval formatting vs interval columns",
}


def _name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


NAMES = {_name(p): p for p in MODULES}


def _resolve(module: str, level: int, target: str | None, is_pkg: bool) -> str:
    if level == 0:
        return target or ""
    base = module.split(".")
    base = base if is_pkg else base[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([target] if target else []))


def _imports(path: Path) -> set[str]:
    """Every analysis module this file imports, at top level or inside functions."""
    module = _name(path)
    is_pkg = path.name == "__init__.py"
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, node.level, node.module, is_pkg)
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in NAMES else base for a in node.names]
        else:
            continue
        for t in targets:
            if t == "analysis" or t.startswith("analysis."):
                while t not in NAMES and "." in t:
                    t = t.rsplit(".", 1)[0]
                if t != module:
                    out.add(t)
    return out


GRAPH = {m: _imports(p) for m, p in NAMES.items()}


def _layer(module: str) -> int:
    parts = module.split(".")
    return LAYERS[parts[1] if len(parts) > 1 else "__init__"]


def test_every_module_is_listed_in_architecture_md():
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    listed = {m for m in re.findall(r"`([\w/]+\.py)`", text) if not m.startswith("tests/")}
    actual = {str(p.relative_to(PKG)) for p in MODULES}
    assert not actual - listed, f"modules missing from ARCHITECTURE.md: {sorted(actual - listed)}"
    assert not listed - actual, f"ARCHITECTURE.md lists modules that do not exist: {sorted(listed - actual)}"


def test_every_top_level_name_has_a_layer():
    tops = {m.split(".")[1] for m in NAMES if "." in m}
    assert tops <= set(LAYERS), f"add these to LAYERS and ARCHITECTURE.md: {sorted(tops - set(LAYERS))}"


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_follow_the_data_flow(module):
    own = _layer(module)
    against = sorted(t for t in GRAPH[module] if _layer(t) > own and not t.startswith(module + "."))
    assert not against, f"{module} (layer {own}) imports from a later layer: {against}"


def test_no_import_cycles():
    # Tarjan's strongly connected components over the module graph; package __init__ files
    # that only re-export their own submodules are part of the graph like any module.
    index, low, stack, on, sccs, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in GRAPH.get(v, ()):
            if w.startswith(v + "."):  # a package importing its own submodules
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                sccs.append(sorted(comp))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    assert not sccs, f"import cycles: {sccs}"


def test_no_module_over_600_lines():
    long = {str(p.relative_to(PKG)): n for p in MODULES
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 600}
    assert not long, f"split these by purpose: {long}"


def test_no_function_defined_twice():
    where = defaultdict(list)
    for p in MODULES:
        for node in ast.parse(p.read_text(encoding="utf-8")).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                where[node.name].append(str(p.relative_to(PKG)))
    twins = {k: v for k, v in where.items() if len(v) > 1 and k not in SAME_NAME_ALLOWED}
    assert not twins, f"defined in more than one module (share one, or rename if different): {twins}"


def test_tests_mirror_the_packages():
    packages = {p.parent.name for p in MODULES if p.name == "__init__.py" and p.parent != PKG}
    missing = sorted(pk for pk in packages - {"sample"} if not (ROOT / "tests" / pk).is_dir())
    assert not missing, f"tests/ has no folder for these packages: {missing}"
