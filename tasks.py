#!/usr/bin/env python3
"""Set-up and task runner for lagesbild: needs nothing but Python 3.11 on a Debian machine.

    python3 tasks.py reports   # sample data -> report drafts for the four sample kommuner
    python3 tasks.py test      # the whole test-suite (what CI runs)
    python3 tasks.py bench     # benchmarks (prints figures; not part of the tests)
    python3 tasks.py lab       # JupyterLab on notebooks/utforska.py (the .py notebooks open as notebooks)
    python3 tasks.py setup     # only create/refresh the virtual environment

Each task creates `.venv` and installs the project (pip, from pyproject.toml) on first use,
and again whenever pyproject.toml changes; it also sets the venv's JupyterLab to open the
jupytext `.py` notebooks as notebooks (`.jupyter/labconfig/`). System packages the tests need (Debian `chromium`
for the headless-browser check of the HTML drafts) are installed with apt-get when missing and
when running as root; otherwise the task says what to install.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PY = VENV / "bin" / "python"
SAMPLE_KOMMUNER = ["2181", "2026", "1760", "1080"]  # Sandviken, Gagnef, Storfors, Karlskrona
# JupyterLab's setting that opens the jupytext .py notebooks as notebooks (the repository's copy;
# JupyterLab reads it from JUPYTER_CONFIG_PATH=.jupyter, and from the venv once installed there).
LAB_SETTINGS = ROOT / ".jupyter" / "labconfig" / "default_setting_overrides.json"


def say(msg: str) -> None:
    print(f"[tasks] {msg}", flush=True)


def run(cmd: list[str], **kw) -> None:
    say(" ".join(map(str, cmd)))
    subprocess.run(cmd, check=True, cwd=ROOT, **kw)


def ensure_venv(extras: str = "test", where: Path = VENV) -> Path:
    """Create/refresh a virtual environment with the project installed; return its python."""
    if sys.version_info < (3, 11):
        sys.exit(f"Python 3.11 or newer is needed (this is {sys.version.split()[0]})")
    py, stamp = where / "bin" / "python", where / ".lagesbild-installed"
    want = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    if stamp.exists() and stamp.read_text().strip() == want and py.exists():
        install_lab_settings(where)
        compile_package(py)
        return py
    if not py.exists():
        say(f"creating virtual environment in {where}")
        venv.EnvBuilder(with_pip=True).create(where)
    run([str(py), "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
    run([str(py), "-m", "pip", "install", "--quiet", "-e", f".[{extras}]"])
    if "bench" in extras:
        # svy pulls in pyarrow, which switches pandas to Arrow-backed strings; the project is
        # built and tested without it, so the comparison runs on the same pandas as the tests.
        run([str(py), "-m", "pip", "uninstall", "--quiet", "-y", "pyarrow"])
    stamp.write_text(want)
    install_lab_settings(where)
    compile_package(py)
    return py


def compile_package(py: Path) -> None:
    """Byte-compile the package's source (the editable install leaves it as source).

    A shell with PYTHONDONTWRITEBYTECODE=1 (common in containers and CI) never writes the
    compiled files itself, so every command and every batch worker compiled the 30 000 lines
    again: about 0.4 s of each start. Unchanged files are skipped; a file changed later is
    compiled in memory, as always, until the next task refreshes it.
    """
    subprocess.run([str(py), "-m", "compileall", "-q", str(ROOT / "src" / "analysis")],
                   check=True, cwd=ROOT, stdout=subprocess.DEVNULL)


def install_lab_settings(where: Path = VENV) -> Path:
    """Make the environment's JupyterLab open the .py notebooks as notebooks.

    Copies the repository's default-setting overrides into the environment's Jupyter config
    (``etc/jupyter/labconfig/default_setting_overrides.d/lagesbild.json``, read by every
    JupyterLab of that environment, beside other packages' defaults); returns the path.
    """
    target = where / "etc" / "jupyter" / "labconfig" / "default_setting_overrides.d" / "lagesbild.json"
    text = LAB_SETTINGS.read_text(encoding="utf-8")
    if not target.is_file() or target.read_text(encoding="utf-8") != text:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        say(f"JupyterLab opens .py notebooks as notebooks: {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
    return target


def ensure_system_packages() -> None:
    """Debian chromium for the browser test of the HTML drafts (pandoc comes from a wheel)."""
    if shutil.which("chromium") or shutil.which("chromium-browser"):
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        run(["apt-get", "update", "-qq"], env=env)
        run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"], env=env)
    else:
        say("chromium is not installed and cannot be installed here (not root or no apt-get): "
            "the headless-browser test will be skipped. Install it with: sudo apt-get install chromium")


def task_setup(_: list[str]) -> int:
    ensure_venv()
    return 0


def task_lab(args: list[str]) -> int:
    ensure_venv()
    data = ROOT / "data" / "sample"
    if not sample_is_current(data):
        run([str(PY), "-m", "analysis", "sample", "--out", str(data),
             *(["--overwrite"] if data.exists() else [])])
    extra = os.pathsep.join(filter(None, [str(ROOT / ".jupyter"), os.environ.get("JUPYTER_CONFIG_PATH")]))
    env = dict(os.environ, JUPYTER_CONFIG_PATH=extra)
    cmd = [str(VENV / "bin" / "jupyter"), "lab", *(args or ["notebooks/utforska.py"])]
    say(" ".join(cmd))
    return subprocess.run(cmd, cwd=ROOT, env=env).returncode


def task_test(args: list[str]) -> int:
    ensure_venv()
    ensure_system_packages()
    env = dict(os.environ, MPLBACKEND="Agg", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
               MKL_NUM_THREADS="1", PYTHONHASHSEED="0")
    return subprocess.run([str(PY), "-m", "pytest", *parallel_args(args), *args], cwd=ROOT,
                          env=env).returncode


def parallel_args(args: list[str]) -> list[str]:
    """pytest-xdist options: one worker per core (at most 4), a test file's tests on one worker.

    Nothing is added when the caller chose (``-n``/``--numprocesses``/``-p no:xdist``) or when
    selecting a single test (a node id with ``::``), where starting workers costs more than it saves.
    """
    chosen = any(a.startswith(("-n", "--numprocesses", "--dist")) or a == "no:xdist" for a in args)
    if chosen or any("::" in a for a in args):
        return []
    workers = min(os.cpu_count() or 1, 4)
    return ["-n", str(workers), "--dist", "loadfile"] if workers > 1 else []


def sample_is_current(data: Path) -> bool:
    """True when ``data`` holds the sample of this checkout's generator version.

    An older sample (written before an upgrade changed the generator, e.g. new crime types)
    is written again rather than silently reported on; the version is read from the source,
    as this runs before the package is importable.
    """
    import json
    import re
    meta = data / "DATASET.json"
    if not meta.is_file():
        return False
    source = (ROOT / "src" / "analysis" / "sample" / "__init__.py").read_text(encoding="utf-8")
    want = re.search(r'^SAMPLE_VERSION = "([^"]+)"', source, re.M)
    try:
        have = json.loads(meta.read_text(encoding="utf-8")).get("version")
    except (ValueError, OSError):
        return False
    if want and have != want.group(1):
        say(f"{data} holds sample version {have}; this checkout generates {want.group(1)}: writing it again")
        return False
    return True


def task_reports(args: list[str]) -> int:
    ensure_venv()
    args = args[1:] if args[:1] == ["--"] else args
    cli = [str(PY), "-m", "analysis.cli"]
    data = ROOT / "data" / "sample"
    if not sample_is_current(data):
        run(cli + ["sample", "--out", str(data), *(["--overwrite"] if data.exists() else [])])
    env = dict(os.environ, MPLBACKEND="Agg")
    return subprocess.run(cli + ["reports", "--data", str(data), "--out", str(ROOT / "reports"),
                                 *(args or [a for k in SAMPLE_KOMMUNER for a in ("--kommun", k)])], cwd=ROOT, env=env).returncode


def task_bench(args: list[str]) -> int:
    py = ensure_venv("test,bench", ROOT / ".venv-bench")  # keeps svy & co out of the test venv
    env = dict(os.environ, MPLBACKEND="Agg")
    rc = 0
    for script in sorted((ROOT / "benchmarks").glob("*.py")):
        if args and script.stem not in args:
            continue
        say(f"benchmark {script.name}")
        rc |= subprocess.run([str(py), str(script)], cwd=ROOT, env=env).returncode
    return rc


TASKS = {"setup": task_setup, "test": task_test, "reports": task_reports, "bench": task_bench,
         "lab": task_lab}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in TASKS:
        print(__doc__)
        sys.exit(2)
    sys.exit(TASKS[sys.argv[1]](sys.argv[2:]))
