"""Reading report notebooks and checking the parameters a batch passes to them.

Notebooks are jupytext ``py:percent`` files (or ``.ipynb``) with one cell tagged
``parameters``. papermill only *warns* about parameters a notebook does not declare; a batch
of 290 reports with a misspelt parameter would silently use the default 290 times, so here it
is an error, and so is a value whose type cannot be what the notebook expects (``114`` for a
kommunkod declared as ``"0114"``).
"""

from __future__ import annotations

import ast
import difflib
import os
from pathlib import Path

import nbformat

from .worker import _imports_in

__all__ = ["BatchParameterError", "load_notebook", "declared_parameters", "check_parameters",
           "coerce_parameter", "imported_modules"]


class BatchParameterError(ValueError):
    """Parameters that the notebook does not declare, or values of the wrong type."""


def load_notebook(path: str | os.PathLike, *,
                  kernel_name: str = "python3") -> nbformat.NotebookNode:
    """A notebook from a jupytext ``.py`` file or an ``.ipynb`` file, without outputs.

    The kernel spec and language are filled in when the file does not name them (jupytext
    files usually do not), because papermill needs them to write the parameters cell.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"notebook {path} does not exist")
    if path.suffix == ".ipynb":
        nb = nbformat.read(path, as_version=4)
    else:
        import jupytext
        nb = jupytext.read(path)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nb.metadata.setdefault("kernelspec", nbformat.from_dict(
        {"name": kernel_name, "display_name": "Python 3", "language": "python"}))
    nb.metadata.setdefault("language_info", nbformat.from_dict({"name": "python"}))
    tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])]
    if len(tagged) > 1:
        raise BatchParameterError(f"{path}: {len(tagged)} cells are tagged 'parameters' "
                                  f"(cells {tagged}); exactly one is allowed")
    return nb


def declared_parameters(path: str | os.PathLike) -> dict[str, dict]:
    """The parameters a notebook declares, from :func:`papermill.inspect_notebook`.

    Parameters
    ----------
    path : path
        An ``.ipynb`` file, or a jupytext ``.py`` file (converted on the fly).

    Returns
    -------
    dict
        name → {"default": the literal value (or its source text when it is not a literal),
        "type": the Python type name of the default, "help": the trailing comment}.
    """
    import tempfile

    import papermill

    path = Path(path)
    if path.suffix != ".ipynb":
        with tempfile.TemporaryDirectory() as tmp:
            converted = Path(tmp) / f"{path.stem}.ipynb"
            nbformat.write(load_notebook(path), converted)
            return declared_parameters(converted)
    out = {}
    for name, info in papermill.inspect_notebook(str(path)).items():
        try:
            default = ast.literal_eval(info["default"])
            typ = type(default).__name__
        except (ValueError, SyntaxError):
            default, typ = info["default"], "expression"
        if info.get("inferred_type_name") not in (None, "None"):
            typ = info["inferred_type_name"]
        out[name] = {"default": default, "type": typ, "help": info.get("help", "")}
    return out


def _type_problem(name: str, value, declared: dict) -> str | None:
    typ = declared["type"]
    if value is None or typ in ("NoneType", "expression"):
        return None
    if typ == "str" and not isinstance(value, str):
        return (f"parameter '{name}' must be a string like {declared['default']!r}, got "
                f"{value!r} ({type(value).__name__}); pass codes as strings, e.g. '0114'")
    if typ in ("int", "float") and (isinstance(value, (str, bool)) or
                                     not isinstance(value, (int, float))):
        return f"parameter '{name}' must be a number like {declared['default']!r}, got {value!r}"
    if typ == "int" and isinstance(value, float) and not value.is_integer():
        return f"parameter '{name}' must be a whole number, got {value!r}"
    if typ == "bool" and not isinstance(value, bool):
        return f"parameter '{name}' must be True or False, got {value!r}"
    if typ in ("list", "tuple") and not isinstance(value, (list, tuple)):
        return f"parameter '{name}' must be a list like {declared['default']!r}, got {value!r}"
    return None


def check_parameters(declared: dict[str, dict], param_sets: list[dict], *,
                     names: list[str] | None = None, notebook: str = "the notebook") -> None:
    """Raise :class:`BatchParameterError` listing every unknown or ill-typed parameter.

    Examples
    --------
    >>> decl = {"kommunkod": {"default": "0114", "type": "str", "help": ""}}
    >>> check_parameters(decl, [{"kommunkod": "2181"}])
    >>> check_parameters(decl, [{"kommunkd": "2181"}, {"kommunkod": 114}])
    Traceback (most recent call last):
    ...
    analysis.batch.notebook.BatchParameterError: 2 parameter problems for the notebook:
      - item 1: unknown parameter 'kommunkd' (did you mean 'kommunkod'?); the notebook declares: kommunkod
      - item 2: parameter 'kommunkod' must be a string like '0114', got 114 (int); pass codes as strings, e.g. '0114'
    """
    problems = []
    for i, params in enumerate(param_sets):
        label = f"item {i + 1}" if names is None else f"'{names[i]}'"
        if not isinstance(params, dict):
            problems.append(f"{label}: parameters must be a dict, got {type(params).__name__}")
            continue
        for key, value in params.items():
            if key not in declared:
                close = difflib.get_close_matches(key, list(declared), n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                listed = ", ".join(declared) or "no parameters (no cell tagged 'parameters')"
                problems.append(f"{label}: unknown parameter '{key}'{hint}; "
                                f"the notebook declares: {listed}")
            else:
                msg = _type_problem(key, value, declared[key])
                if msg:
                    problems.append(f"{label}: {msg}")
    if problems:
        plural = "s" if len(problems) > 1 else ""
        head = f"{len(problems)} parameter problem{plural} for {notebook}:"
        raise BatchParameterError("\n".join([head] + [f"  - {p}" for p in problems[:50]]))


def coerce_parameter(text: str, declared: dict):
    """Turn command-line text into the type the notebook declares (for a CLI).

    Strings stay strings, so ``"0114"`` is never the number 114.

    Examples
    --------
    >>> coerce_parameter("0114", {"type": "str"}), coerce_parameter("2024", {"type": "int"})
    ('0114', 2024)
    >>> coerce_parameter("ja", {"type": "bool"})
    True
    """
    typ = declared.get("type")
    if typ == "int":
        return int(text)
    if typ == "float":
        return float(text)
    if typ == "bool":
        low = text.strip().lower()
        if low in ("1", "true", "ja", "yes", "sant"):
            return True
        if low in ("0", "false", "nej", "no", "falskt"):
            return False
        raise ValueError(f"expected true/false, got {text!r}")
    if typ in ("list", "tuple"):
        return [t.strip() for t in text.split(",") if t.strip()]
    if typ == "NoneType" and text.strip().lower() in ("none", ""):
        return None
    return text


def imported_modules(nb: nbformat.NotebookNode) -> list[str]:
    """Top-level modules the notebook imports (for warming worker processes).

    Examples
    --------
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
    ...     "import pandas as pd\\nfrom analysis.report import figures\\n%matplotlib inline")])
    >>> imported_modules(nb)
    ['analysis.report', 'analysis.report.figures', 'pandas']
    """
    mods: set[str] = set()
    for cell in nb.cells:
        if cell.cell_type == "code":
            mods |= _imports_in(cell.source)
    return sorted(mods)

