"""The package ships its type hints (``py.typed``) and mypy passes on the typed public API.

The checked modules are listed in pyproject.toml (``[tool.mypy] files``); widen the list as
modules gain complete hints.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]


def test_py_typed_is_shipped():
    assert (ROOT / "src" / "analysis" / "py.typed").is_file()
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "py.typed" in config["tool"]["setuptools"]["package-data"]["analysis"]


def test_type_checked_modules_exist():
    files = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]["files"]
    assert files and all((ROOT / f).is_file() for f in files), files


def test_mypy_passes_on_the_public_api(tmp_path):
    res = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache"),
                          "--no-color-output"], cwd=ROOT, capture_output=True, text=True,
                         timeout=600)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Success" in res.stdout


def test_mypy_would_catch_a_wrong_hint(tmp_path):
    """The configuration really checks: a module with a wrong return type fails."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f() -> int:\n    return 'text'\n")
    res = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache"),
                          "--no-color-output", str(bad)], cwd=ROOT, capture_output=True,
                         text=True, timeout=600)
    assert res.returncode == 1 and "return-value" in res.stdout, res.stdout
