"""The report templates show data only through the report layer's escaping path.

Tables go through ``tables.show`` (every cell escaped), sentences through report-layer
functions that escape the data they contain. A template that displayed a DataFrame, raw HTML
or a Markdown string built from data in the notebook itself would bypass that path.
"""

from __future__ import annotations

import ast
from pathlib import Path

import jupytext
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
TEMPLATES = ["lagesbild.py", "utvardering.py"]
REPORT_MODULES = {"rc", "rt", "tx", "cap", "er", "figures", "evaluation_figures",
                  "tp", "ai", "an", "br", "cv", "place_figures"}  # import aliases


def _code(name: str) -> list[ast.Module]:
    nb = jupytext.read(NOTEBOOKS / name)
    return [ast.parse(c.source) for c in nb.cells
            if c.cell_type == "code" and "parameters" not in c.metadata.get("tags", [])]


def _from_report_layer(node: ast.AST) -> bool:
    """A call of a report-layer function, e.g. ``tx.method_note()`` or ``er.heading(ev)``."""
    if isinstance(node, ast.Call):
        f = node.func
        while isinstance(f, ast.Attribute):
            if isinstance(f.value, ast.Name) and f.value.id in REPORT_MODULES:
                return True
            f = f.value if not isinstance(f.value, ast.Call) else f.value.func
    return False


def _plain_literal(node: ast.AST) -> bool:
    """A string literal, or an f-string whose values are not text from data files."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return True
    if isinstance(node, ast.IfExp):
        return _plain_literal(node.body) and _plain_literal(node.orelse)
    if isinstance(node, ast.JoinedStr):
        allowed = ("year", "previous_year", "n")  # numbers only
        for v in node.values:
            if isinstance(v, ast.FormattedValue):
                names = {n.value for n in ast.walk(v.value) if isinstance(n, ast.Constant)}
                if not names & set(allowed):
                    return False
        return True
    return False


def _problems(tree: ast.Module) -> list[str]:
    """Every way a cell shows data that bypasses the report layer."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "Markdown" and not (
                    _from_report_layer(node.args[0]) or _plain_literal(node.args[0])):
                found.append(ast.unparse(node))
            if node.func.id in ("HTML", "Latex", "SVG", "Image", "IFrame", "Javascript"):
                found.append(ast.unparse(node))
        if isinstance(node, ast.Attribute) and node.attr in ("to_html", "to_markdown",
                                                             "_repr_html_"):
            found.append(ast.unparse(node))
    # a bare expression at the end of a cell is displayed: only figures and tables.show
    last = tree.body[-1] if tree.body else None
    if isinstance(last, ast.Expr) and not isinstance(last.value, ast.Constant):
        value = last.value
        ok = False
        if isinstance(value, ast.Call):
            f = value.func
            if isinstance(f, ast.Name):
                ok = f.id == "display"
            else:
                while isinstance(f, ast.Attribute) and not isinstance(f.value, ast.Name):
                    f = f.value
                ok = isinstance(f, ast.Attribute) and f.value.id in (
                    "figures", "evaluation_figures", "rt")
        if not ok:
            found.append(ast.unparse(last))
    return found


@pytest.mark.parametrize("name", TEMPLATES)
def test_templates_display_data_only_through_the_report_layer(name):
    for tree in _code(name):
        assert _problems(tree) == []


@pytest.mark.parametrize("source", [
    "measures",
    "display(Markdown(f'Åtgärd: {m.name}'))",
    "display(HTML(table.to_html()))",
    "rc.atgarder(ctx)[0]",
])
def test_the_check_catches_raw_display(source):
    assert _problems(ast.parse(source))
