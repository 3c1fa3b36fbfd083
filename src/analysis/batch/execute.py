"""Build one report: execute the notebook with papermill, render the drafts, write the manifest.

Runs inside a worker (see :mod:`analysis.batch.worker`): in a process forked from a warm
worker (``isolation="fork"``, the notebook runs in-process) or with a fresh Jupyter kernel
(``isolation="kernel"``). Everything a report writes goes through atomic renames, and the
manifest is written last, so an interrupted report is rebuilt on ``resume``.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import shutil
import time
import traceback
from pathlib import Path

import nbformat

from .render import RenderError, render_outputs
from ..store import atomic_path, file_sha256, write_manifest

__all__ = ["execute_item", "item_paths"]


def item_paths(out_dir: str | os.PathLike, stem: str) -> dict[str, Path]:
    """The files of one report: ``{stem}.ipynb``, ``.html``, ``.docx``, ``{stem}_figurer/``
    and ``{stem}.manifest.json``."""
    out = Path(out_dir)
    return {"ipynb": out / f"{stem}.ipynb", "html": out / f"{stem}.html",
            "docx": out / f"{stem}.docx", "png": out / f"{stem}_figurer",
            "manifest": out / f"{stem}.manifest.json"}


def _remove_outputs(paths: dict[str, Path], keep=("ipynb",)) -> None:
    for fmt, p in paths.items():
        if fmt in keep or fmt == "manifest":
            continue
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_CELL_FRAME = re.compile(r"(?:Cell In\s*\[\d*\]|Input In \[\d*\]|<cell line: \d+>)"
                         r"[^\n]*?line (\d+)")


def failing_line(source: str, traceback_lines) -> tuple[int | None, str]:
    r"""The line of a cell that raised, and an excerpt around it (the line marked ``->``).

    ``traceback_lines`` is the IPython traceback of the error output (with or without
    colour codes); its first frame in the cell names the line. Without one, the excerpt is
    the first lines of the cell.

    Examples
    --------
    >>> src = "a = 1\nb = 2\nc = f(b)\nd = 4"
    >>> tb = ["Cell In[3], line 3\n      2 b = 2\n----> 3 c = f(b)\n"]
    >>> line, text = failing_line(src, tb)
    >>> line
    3
    >>> print(text)
       2 | b = 2
    -> 3 | c = f(b)
       4 | d = 4
    """
    lines = (source or "").splitlines()
    number = None
    for entry in traceback_lines or ():
        m = _CELL_FRAME.search(_ANSI.sub("", str(entry)))
        if m:
            number = int(m.group(1))
            break
    if number is None or not 1 <= number <= len(lines):
        return None, "\n".join([ln for ln in lines if ln.strip()][:6])
    lo, hi = max(1, number - 1), min(len(lines), number + 1)
    width = len(str(hi))
    return number, "\n".join(f"{'->' if i == number else '  '} {i:>{width}} | {lines[i - 1]}"
                             for i in range(lo, hi + 1))


def _error_info(exc) -> dict:
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        line, excerpt = failing_line(exc.source, exc.traceback)
        return {"error": f"{exc.ename}: {exc.evalue}".strip(),
                "error_cell": exc.exec_count, "error_line": line, "error_source": excerpt}
    if isinstance(exc, RenderError):
        return {"error": f"{type(exc).__name__}: {exc}", "error_cell": exc.cell,
                "error_line": None, "error_source": None}
    return {"error": f"{type(exc).__name__}: {exc}", "error_cell": None, "error_line": None,
            "error_source": "".join(traceback.format_exception(exc)[-6:])}


def _forbidden_hits(nb, forbidden) -> list[str]:
    # Respondent-level rows must never leave analysis.survey; a stray print of a data frame
    # would put them into a draft that is then e-mailed around.
    if not forbidden:
        return []
    text = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            text.append(str(out.get("text", "")))
            text.extend(str(v) for k, v in out.get("data", {}).items() if k.startswith("text/"))
    blob = "\n".join(text).lower()
    return [word for word in forbidden if word.lower() in blob]


def _guard(task: dict):
    if not task.get("guard_path"):
        return None
    from .guard import RespondentIds
    return RespondentIds.load(task["guard_path"])


def _check_ids(result: dict, paths: dict[str, Path], ids) -> None:
    """Fail the report and remove every file of it when one holds a respondent id (by value);
    error texts shown in the manifest and the index have the ids blanked."""
    from .guard import scan_file

    for key in ("error", "error_source"):
        if result.get(key):
            result[key] = ids.redact(result[key])
    files = [p for fmt, p in paths.items() if fmt not in ("manifest", "png") and p.is_file()]
    files += sorted(paths["png"].glob("*.png")) if paths["png"].is_dir() else []
    leaked = [p.name for p in files if scan_file(p, ids)]
    if not leaked:
        return
    paths["ipynb"].unlink(missing_ok=True)
    _remove_outputs(paths, keep=())
    result.update(status="failed", error_cell=None, error_line=None, error_source=None,
                  error=(f"{', '.join(leaked)} contained respondent ids of the survey: "
                         "respondent-level data must not appear in a report; no files were kept"
                         + (f" (the notebook also failed: {result['error']})"
                            if result["error"] else "")))


def _cpu_seconds() -> float | None:
    """CPU seconds of this report process (a fresh fork) and its finished children (pandoc,
    the kernel): the work of one report, whatever the neighbours on the machine do."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return None
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def execute_item(task: dict) -> dict:
    """Execute and render one report described by ``task`` (built by the runner).

    Returns
    -------
    dict
        JSON-serialisable result: name, status ("ok"/"failed"), files, error fields, timings.
    """
    import papermill

    from .inprocess import register

    t0 = time.perf_counter()
    started = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds")
    out_dir = Path(task["out_dir"])
    paths = item_paths(out_dir, task["stem"])
    # An old manifest must not vouch for files that are about to be replaced one by one.
    paths["manifest"].unlink(missing_ok=True)
    result = {"name": task["name"], "stem": task["stem"], "status": "failed", "error": None,
              "error_cell": None, "error_line": None, "error_source": None, "files": {},
              "execute_s": 0.0, "cells_s": 0.0, "render_s": 0.0, "render": {}}
    nb = nbformat.read(task["notebook_ipynb"], as_version=4)
    kernel = task["isolation"] == "kernel"
    engine_kwargs = {}
    if kernel:
        engine_kwargs = {"execution_timeout": task.get("timeout"), "start_timeout": 120,
                         "resources": {"metadata": {"path": task["cwd"]}}}
    else:
        os.chdir(task["cwd"])
    executed = None
    t = time.perf_counter()
    with atomic_path(paths["ipynb"]) as tmp:
        try:
            executed = papermill.execute_notebook(
                nb, str(tmp), parameters=task["params"],
                engine_name=None if kernel else register(), kernel_name=task["kernel_name"],
                language="python", progress_bar=False, log_output=False,
                request_save_on_cell_execute=False, **engine_kwargs)
        except Exception as exc:  # noqa: BLE001 - every failure is reported per item
            result.update(_error_info(exc))
            if not tmp.exists() or tmp.stat().st_size == 0:
                nbformat.write(nb, str(tmp))  # keep the parameterised notebook for debugging
    result["execute_s"] = time.perf_counter() - t
    if executed is not None:
        result["cells_s"] = sum(float(c.metadata.get("papermill", {}).get("duration") or 0)
                                for c in executed.cells)
    # A failed notebook is kept for debugging, so its outputs are checked as well.
    checked = executed if executed is not None else (
        nbformat.read(paths["ipynb"], as_version=4) if paths["ipynb"].is_file() else None)
    hits = _forbidden_hits(checked, task.get("forbidden_output_text")) if checked else []
    if hits:
        paths["ipynb"].unlink(missing_ok=True)
        result.update(error=(f"the outputs contain {hits}: respondent-level data must not "
                             "appear in a report; no files were kept"
                             + (f" (the notebook also failed: {result['error']})"
                                if result["error"] else "")), error_source=None)
        executed = None
    if executed is not None:
        formats = set(task["formats"])
        t = time.perf_counter()
        try:
            rendered = render_outputs(
                executed, html=paths["html"] if "html" in formats else None,
                docx=paths["docx"] if "docx" in formats else None,
                figures_dir=paths["png"] if "png" in formats else None,
                title=task.get("title"), reference_docx=task.get("reference_docx"))
            result["render"] = rendered.pop("seconds")
            result["status"] = "ok"
        except (RenderError, OSError) as exc:
            result.update(_error_info(exc))
        result["render_s"] = time.perf_counter() - t
    ids = _guard(task)
    if ids:
        _check_ids(result, paths, ids)
    # Stale drafts from an earlier run (of a failed report, or of a format not asked for
    # this time) would look current.
    _remove_outputs(paths, keep=("ipynb", *task["formats"]) if result["status"] == "ok"
                    else ("ipynb",))
    files = [paths["ipynb"], paths["html"], paths["docx"]] + sorted(paths["png"].glob("*.png"))
    result["files"] = {str(p.relative_to(out_dir)): file_sha256(p) for p in files if p.is_file()}
    result["total_s"] = time.perf_counter() - t0
    result["cpu_s"] = _cpu_seconds()
    write_manifest(paths["manifest"], {
        "name": task["name"], "status": result["status"], "fingerprint": task["fingerprint"],
        "files": result["files"] if result["status"] == "ok" else {},
        "error": result["error"], "error_cell": result["error_cell"],
        "error_line": result["error_line"],
        "error_source": result["error_source"], "started": started,
        "finished": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds"),
        "timings": {k: result[k] for k in ("execute_s", "cells_s", "render_s", "total_s",
                                           "cpu_s")},
        "isolation": task["isolation"], "params": task["params"]})
    return result
