"""Start-up of the `lagesbild` command: ``--help`` must not pay for the statistics or notebooks.

The command imports what each subcommand needs inside the subcommand, so ``lagesbild --help``,
``lagesbild evaluate --help`` and ``import analysis`` load neither pandas nor the notebook
machinery (nbformat pulls jsonschema, which compiles an IRI grammar at import; jupytext pulls
jupyter_server). Checked two ways: deterministically, by the modules ``python -X importtime``
lists, and by wall time relative to ``python -c "import pandas"`` on the same machine (a ratio,
so a slow or loaded CI machine does not make it fail).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import analysis

#: Modules that cost seconds to import and that no ``--help`` needs.
HEAVY = ("numpy", "pandas", "scipy", "statsmodels", "matplotlib", "seaborn", "nbformat",
         "jsonschema", "rfc3987_syntax", "jupytext", "jupyter_server", "papermill", "nbconvert",
         "IPython", "pyarrow", "openpyxl")
SUBCOMMANDS = ("sample", "check", "import", "summary", "reports", "evaluate")


def _env() -> dict:
    env = dict(os.environ)
    src = str(Path(analysis.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join([src, *filter(None, [env.get("PYTHONPATH")])])
    return env


def _imported(*args: str) -> set[str]:
    """Top-level packages imported by ``python -X importtime ARGS`` (its stderr lists them)."""
    res = subprocess.run([sys.executable, "-X", "importtime", *args], capture_output=True,
                         text=True, env=_env(), timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    names = set()
    for line in res.stderr.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            name = line.rsplit("|", 1)[1].strip()
            if name and name != "imported package":
                names.add(name.split(".")[0])
    assert "analysis" in names  # the parse worked: the package itself is listed
    return names


@pytest.mark.parametrize("command", ["", *SUBCOMMANDS])
def test_help_imports_nothing_heavy(command):
    args = ["-m", "analysis", *([command] if command else []), "--help"]
    heavy = sorted(set(HEAVY) & _imported(*args))
    assert not heavy, f"`lagesbild {command} --help` imports {heavy}; import them inside the command"


def test_importing_the_package_is_light():
    heavy = sorted(set(HEAVY) & _imported("-c", "import analysis, analysis.cli"))
    assert not heavy, f"`import analysis` imports {heavy}"


def _fastest(args: list[str], runs: int = 3) -> float:
    best = float("inf")
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([sys.executable, *args], capture_output=True, env=_env(), timeout=120,
                       check=True)
        best = min(best, time.perf_counter() - t)
    return best


def test_help_starts_faster_than_importing_pandas():
    # the target is --help under 1 s; pandas alone takes about 0.5 s, the help 0.25 s
    pytest.importorskip("pandas")
    pandas = _fastest(["-c", "import pandas"])
    help_ = _fastest(["-m", "analysis", "--help"])
    assert help_ <= 1.0 * pandas, f"--help {help_:.2f} s, import pandas {pandas:.2f} s"


def test_a_command_that_reads_notebooks_skips_the_iri_grammar(tmp_path):
    # `lagesbild evaluate` imports nbformat (through the batch runner); jsonschema would then
    # compile rfc3987_syntax's grammar (1.7 s). The command marks it absent, and notebooks
    # still validate without it.
    code = ("import sys\n"
            "notebook = sys.argv[2]\n"
            "from analysis.cli import main\n"
            "sys.argv = ['lagesbild', 'evaluate', '--measure', 'NO-SUCH', '--data', sys.argv[1]]\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "import nbformat\n"
            "nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('1')])\n"
            "nbformat.validate(nb)\n"
            "import jupytext\n"
            "assert jupytext.read(notebook).cells\n"
            "print(sys.modules.get('rfc3987_syntax', 'absent'))\n")
    (tmp_path / "measures.csv").write_text("measure_id\nM1\n", encoding="utf-8")
    notebook = Path(__file__).resolve().parents[1] / "notebooks" / "utvardering.py"
    res = subprocess.run([sys.executable, "-X", "importtime", "-c", code, str(tmp_path),
                          str(notebook)],
                         capture_output=True, text=True, env=_env(), timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.strip() == "None"
    assert "rfc3987_syntax.syntax_helpers" not in res.stderr  # the grammar was never built
    assert "nbformat" in res.stderr  # the command did read the notebook machinery
    assert "jupyter_server" not in res.stderr  # jupytext read the notebook without the server
