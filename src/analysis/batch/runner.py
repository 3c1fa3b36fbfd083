"""Run one parameterised notebook for many parameter sets: in parallel, resumable, on Dask.

:func:`run_batch` checks every parameter set against the notebook before anything runs,
skips reports that are up to date (``resume``), runs the rest on warm local worker processes
or on a Dask cluster, isolates each report's failure, and writes ``index.html``.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from .execute import item_paths
from .index import _label, write_index
from .notebook import (BatchParameterError, check_parameters, declared_parameters,
                       imported_modules, load_notebook)
from ..cache import IN_USE, batch_cache_folder
from ..store import (atomic_write, clean_temp_files, directory_lock, file_sha256,
                    hash_inputs, is_up_to_date, read_manifest)
from .worker import WorkerDied, WorkerProcess, claim, prestart_for

__all__ = ["run_batch", "prestart_worker", "BatchResult", "ItemResult", "FORMATS",
           "BatchLockedError"]

from . import FORMATS  # noqa: E402 - defined in the light package module for the CLI
_WORK = ".lagesbild"


class BatchLockedError(RuntimeError):
    """Another batch is writing to the same output folder."""


@dataclass(frozen=True)
class ItemResult:
    """One report of a batch.

    Attributes
    ----------
    name : str
        The report's name (the ``name_key`` parameter, e.g. the kommunkod).
    stem : str
        File stem of its outputs, e.g. ``lagesbild_2181``.
    params : dict
        Parameters passed to the notebook.
    status : {"ok", "failed", "skipped"}
        "skipped": up to date from an earlier run (``resume``).
    outputs : dict
        Format → absolute path (``png``: the figure folder) of the files that exist.
    error, error_cell, error_line, error_source : str, int, int, str or None
        For failures: "ErrorType: message", the execution count of the failing cell, the
        line of the cell that raised and an excerpt around it (that line marked ``->``).
    execute_s, cells_s, render_s, total_s : float
        Seconds: papermill execution, sum of cell durations, rendering, everything.
    """

    name: str
    stem: str
    params: dict
    status: str
    outputs: dict = field(default_factory=dict)
    error: str | None = None
    error_cell: int | None = None
    error_line: int | None = None
    error_source: str | None = None
    execute_s: float = 0.0
    cells_s: float = 0.0
    render_s: float = 0.0
    total_s: float = 0.0


@dataclass(frozen=True)
class BatchResult:
    """The outcome of :func:`run_batch`.

    Attributes
    ----------
    items : tuple of ItemResult
        In the order of the parameter sets.
    out_dir : Path
    index_path : Path or None
    duration_s : float
        Wall-clock seconds of the whole batch.
    jobs : int
    isolation : str
    scheduler : str or None
    leaks : tuple of str
        Files (relative to ``out_dir``) that the final check found holding respondent ids and
        removed; any makes the batch fail.
    """

    items: tuple[ItemResult, ...]
    out_dir: Path
    index_path: Path | None
    duration_s: float
    jobs: int
    isolation: str
    scheduler: str | None = None
    leaks: tuple[str, ...] = ()

    @property
    def failures(self) -> tuple[ItemResult, ...]:
        """The failed reports."""
        return tuple(i for i in self.items if i.status == "failed")

    @property
    def ok(self) -> bool:
        return not self.failures and not self.leaks

    @property
    def exit_code(self) -> int:
        """0 when every report was built (or up to date), 1 otherwise (for a CLI)."""
        return 0 if self.ok else 1

    @property
    def table(self):
        """One row per report (DataFrame): name, status, error_cell, error, timings, paths."""
        import pandas as pd

        rows = [{"name": i.name, "status": i.status, "error_cell": i.error_cell,
                 "error": i.error, "execute_s": i.execute_s, "cells_s": i.cells_s,
                 "render_s": i.render_s, "total_s": i.total_s,
                 **{f: (str(i.outputs[f]) if f in i.outputs else None) for f in FORMATS}}
                for i in self.items]
        return pd.DataFrame(rows, columns=["name", "status", "error_cell", "error", "execute_s",
                                           "cells_s", "render_s", "total_s", *FORMATS])

    def summary(self) -> str:
        """A few lines for a terminal: counts, time, and every failure with cell and error."""
        n = {s: sum(i.status == s for i in self.items) for s in ("ok", "skipped", "failed")}
        lines = [f"{len(self.items)} reports in {self.duration_s:.1f} s ({self.jobs} jobs, "
                 f"{self.isolation}{', dask ' + self.scheduler if self.scheduler else ''}): "
                 f"{n['ok']} built, {n['skipped']} up to date, {n['failed']} failed"]
        for f in self.failures:
            where = f" in cell [{f.error_cell}]" if f.error_cell is not None else ""
            where += f", line {f.error_line}" if f.error_line is not None else ""
            lines.append(f"  FAILED {f.name}{where}: {f.error}")
            if f.error_source:
                lines += [f"      {line}" for line in f.error_source.splitlines()[:6]]
        for path in self.leaks:
            lines.append(f"  REMOVED {path}: it contained respondent ids of the survey")
        if self.index_path:
            lines.append(f"index: {self.index_path}")
        return "\n".join(lines)


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        return value.item()
    return value


def _default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def _result_from(task: dict, res: dict, out_dir: Path) -> ItemResult:
    paths = item_paths(out_dir, task["stem"])
    outputs = {f: paths[f] for f in FORMATS if paths[f].exists()}
    return ItemResult(
        name=task["name"], stem=task["stem"], params=task["params"], status=res["status"],
        outputs=outputs, error=res.get("error"), error_cell=res.get("error_cell"),
        error_line=res.get("error_line"), error_source=res.get("error_source"),
        **{k: float(res.get(k) or 0.0) for k in ("execute_s", "cells_s", "render_s", "total_s")})


def _failed(task: dict, message: str) -> dict:
    return {"name": task["name"], "stem": task["stem"], "status": "failed", "error": message}


def _run_local(tasks: list[dict], *, jobs: int, warm: list[str], log_dir: Path,
               workers: list, out: Path) -> Iterator[dict]:
    """One warm worker runs ``jobs`` reports at a time; a dead worker fails only its reports."""
    todo = list(reversed(tasks))
    restarts = 0
    while todo:
        outstanding: dict[str, dict] = {}
        try:
            log = log_dir / f"worker-{restarts}.log"
            worker = claim(str(out), log)  # the worker prestart_worker(out) started
            if worker is None:
                worker = WorkerProcess(warm, jobs=jobs, log_path=log,
                                       preload=todo[-1].get("preload"))
            else:  # started by prestart_worker while the batch was being checked
                worker.configure(warm, jobs=jobs, preload=todo[-1].get("preload"))
        except WorkerDied as exc:
            for task in reversed(todo):
                yield _failed(task, str(exc))
            return
        workers.append(worker)
        try:
            while todo and len(outstanding) < jobs:  # a few ahead, the rest as slots free
                task = todo.pop()
                outstanding[task["name"]] = task
                worker.submit(task)
            while outstanding:
                res = worker.receive()
                outstanding.pop(res["name"], None)
                yield res
                if todo:
                    task = todo.pop()
                    outstanding[task["name"]] = task
                    worker.submit(task)
        except WorkerDied as exc:
            for task in outstanding.values():
                yield _failed(task, str(exc))
            restarts += 1
        finally:
            worker.close()


def prestart_worker(out_dir: str | os.PathLike, notebook: str | os.PathLike | None = None) -> None:
    """Start the local worker of a batch into ``out_dir`` before :func:`run_batch` is called.

    For a command that checks its input before the batch (the ``lagesbild`` commands): the
    worker's imports (2-3 s; with ``notebook``, a jupytext ``.py`` notebook, also the
    modules it imports) then overlap with the checks. Nothing is written into
    ``out_dir`` until the batch claims the worker. Only for local batches; a worker no batch
    claims is stopped when the process exits (or by
    :func:`analysis.batch.worker.close_prestarted`).
    """
    prestart_for(out_dir, notebook)


#: What a worker runs before forking the reports of a report notebook (see ``preload``).
PRELOAD = "analysis.report.context.preload"

_dask_local = threading.local()
_dask_workers: list = []
_dask_lock = threading.Lock()


def _dask_task(task: dict, warm: list[str], log_dir: str) -> dict:
    """Runs on a Dask worker: hand the task to this thread's warm worker process."""
    worker = getattr(_dask_local, "worker", None)
    if worker is None or not worker.alive or getattr(_dask_local, "warm", None) != warm:
        if worker is not None:
            worker.close()
        log = Path(log_dir) / f"dask-{os.getpid()}-{threading.get_ident()}.log"
        worker = _dask_local.worker = WorkerProcess(warm, log_path=log,
                                                    preload=task.get("preload"))
        _dask_local.warm = warm
        with _dask_lock:
            _dask_workers.append(worker)
    try:
        return worker.run(task)
    except WorkerDied as exc:
        _dask_local.worker = None
        return _failed(task, str(exc))


def _close_dask_workers() -> int:
    """Runs on each Dask worker after a batch: stop the warm processes it started."""
    with _dask_lock:
        workers, _dask_workers[:] = list(_dask_workers), []
    for w in workers:
        w.close()
    return len(workers)


def _run_dask(tasks: list[dict], *, scheduler, warm: list[str], log_dir: Path) -> Iterator[dict]:
    from distributed import Client, as_completed

    client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
    try:
        futures = {client.submit(_dask_task, t, warm, str(log_dir), pure=False,
                                 key=f"lagesbild-{t['stem']}-{time.time_ns()}"): t for t in tasks}
        for fut in as_completed(futures):
            try:
                yield fut.result()
            except Exception as exc:  # noqa: BLE001 - a lost Dask worker fails one item
                yield _failed(futures[fut], f"dask: {type(exc).__name__}: {exc}")
    finally:
        try:  # no warm processes are left running on a shared cluster between batches
            client.run(_close_dask_workers)
        except Exception:  # noqa: BLE001 - workers that are gone have nothing to close
            pass
        if client is not scheduler:
            client.close()


def run_batch(notebook: str | os.PathLike, param_sets: Iterable[dict], *,
              out_dir: str | os.PathLike, jobs: int | None = None, resume: bool = False,
              formats: Iterable[str] = FORMATS, scheduler=None, data_files: Iterable = (),
              name_key: str | None = "kommunkod", isolation: str = "fork",
              kernel_name: str = "python3", timeout: float | None = None,
              cwd: str | os.PathLike | None = None,
              shared_cache_dir: str | os.PathLike | None = None, title: str | None = None,
              note: str | None = None, reference_docx: str | os.PathLike | None = None,
              forbidden_output_text: Iterable[str] = ("respondent_id",),
              respondent_ids: Iterable[str] | None = None,
              warm_imports: Iterable[str] | None = None,
              progress: bool | None = None, preload: bool = True) -> BatchResult:
    """Run a parameterised notebook once per parameter set and render the drafts.

    Parameters
    ----------
    notebook : path
        A jupytext ``py:percent`` file or ``.ipynb`` with one cell tagged ``parameters``.
    param_sets : iterable of dict
        Parameters per report, passed through papermill's Python API (``"0114"`` stays a
        string). Unknown parameters and wrongly typed values raise
        :class:`~analysis.batch.notebook.BatchParameterError` before anything runs.
    out_dir : path
        Output folder: per report ``{stem}.ipynb``, ``.html``, ``.docx``, ``{stem}_figurer/``
        and ``{stem}.manifest.json``, where stem is ``{notebook stem}_{name}``; plus
        ``index.html``.
    jobs : int, optional
        Parallel reports; default the number of cores available.
    resume : bool
        Skip reports whose manifest shows the same parameters, notebook, data hashes, formats
        and options, with every output intact.
    formats : subset of ("ipynb", "html", "docx", "png")
        The executed ``.ipynb`` is always kept.
    scheduler : str or distributed.Client, optional
        Address of a Dask scheduler (e.g. ``"tcp://10.0.0.5:8786"``): reports run on its
        workers, each of which keeps warm worker processes. ``out_dir``, ``cwd`` and the data
        must be on a file system the workers share.
    data_files : iterable of paths
        Input files or folders; their content hashes decide whether a report is up to date.
    name_key : str or None
        Parameter naming each report (default "kommunkod"); None numbers them.
    isolation : {"fork", "kernel"}
        "fork" (default): each report runs in a process forked from a warm worker, in-process
        with IPython. "kernel": a fresh Jupyter kernel per report (slower; for notebooks that
        need a real kernel). Neither lets state pass from one report to the next.
    kernel_name : str
        Kernel for ``isolation="kernel"`` and for writing the parameters cell.
    timeout : float, optional
        Seconds per report (execution and rendering) before it is killed and marked failed.
    cwd : path, optional
        Working directory of the notebooks; default the current one.
    shared_cache_dir : path, optional
        Passed as parameter ``shared_cache_dir`` to notebooks that declare it, for
        :func:`~analysis.cache.shared_artifact`; made readable by its owner only and
        kept. Default: a private temporary folder outside ``out_dir`` (with ``scheduler``:
        ``out_dir/.lagesbild/cache``, which the workers share), removed when the batch ends.
    title, note : str, optional
        Heading of ``index.html`` and a highlighted line in it (e.g. the sample-data label).
    reference_docx : path, optional
        Word file whose styles the DOCX drafts use.
    forbidden_output_text : iterable of str
        Text that fails a report when found in its cell outputs (the column name
        ``respondent_id`` by default); its files are removed.
    respondent_ids : iterable of str, optional
        Id values that no output file may contain (checked as whole words in the HTML, DOCX,
        notebook, PNG metadata, manifest, index and logs); a report with one fails and its
        files are removed. Default: the ``respondent_id`` column of every survey file (CSV)
        in ``data_files``.
    warm_imports : iterable of str, optional
        Modules workers import before forking; default those the notebook imports (none for
        ``isolation="kernel"``, where each kernel imports for itself).
    progress : bool, optional
        Progress bar with ETA on stderr; default when stderr is a terminal.
    preload : bool, default True
        For a report notebook (one that imports ``analysis.report`` and declares
        ``data_dir``) run with ``isolation="fork"``: the warm worker reads the data folder and
        the national tables once (:func:`analysis.report.context.preload`, with the first
        report's parameters) before forking, and every report inherits them. A failing
        preload is logged; the reports then read for themselves.

    Returns
    -------
    BatchResult
        ``.failures``, ``.table``, ``.index_path``, ``.summary()``, ``.exit_code``.
    """
    t_start = time.perf_counter()
    notebook = Path(notebook).resolve()
    out = Path(out_dir).resolve()
    formats = tuple(dict.fromkeys(["ipynb", *formats]))
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise ValueError(f"unknown formats {bad}; choose from {FORMATS}")
    if isolation not in ("fork", "kernel"):
        raise ValueError(f"isolation must be 'fork' or 'kernel', got {isolation!r}")
    if isolation == "fork" and not hasattr(os, "fork"):  # pragma: no cover - Windows
        isolation = "kernel"
    param_sets = list(param_sets)
    not_dicts = [i + 1 for i, p in enumerate(param_sets) if not isinstance(p, dict)]
    if not_dicts:
        raise BatchParameterError(f"parameter sets {not_dicts[:10]} are not dicts; pass one "
                                  "dict of parameters per report, e.g. {'kommunkod': '0114'}")
    param_sets = [_plain(p) for p in param_sets]
    jobs = max(1, int(jobs or _default_jobs()))

    nb = load_notebook(notebook, kernel_name=kernel_name)
    work = out / _WORK
    with directory_lock(work / "batch.lock", blocking=False) as locked:
        if not locked:
            raise BatchLockedError(f"another batch is writing to {out}; wait for it to finish "
                                   "or choose another output folder")
        return _run_locked(nb, notebook, param_sets, out=out, work=work, jobs=jobs,
                           resume=resume, formats=formats, scheduler=scheduler,
                           data_files=data_files, name_key=name_key, isolation=isolation,
                           kernel_name=kernel_name, timeout=timeout, cwd=cwd,
                           shared_cache_dir=shared_cache_dir, title=title, note=note,
                           reference_docx=reference_docx,
                           forbidden_output_text=tuple(forbidden_output_text),
                           respondent_ids=respondent_ids, warm_imports=warm_imports, progress=progress,
                           preload=preload, t_start=t_start)


def _run_locked(nb, notebook: Path, param_sets: list, *, out: Path, work: Path, jobs: int,
                resume: bool, formats: tuple, scheduler, data_files, name_key, isolation: str,
                kernel_name: str, timeout, cwd, shared_cache_dir, title, note, reference_docx,
                forbidden_output_text: tuple, respondent_ids, warm_imports, progress,
                preload: bool, t_start: float) -> BatchResult:
    import nbformat

    prepared = work / f"{notebook.stem}.ipynb"
    atomic_write(prepared, nbformat.writes(nb))
    declared = declared_parameters(prepared)
    names = None
    if name_key is not None:
        missing = [i + 1 for i, p in enumerate(param_sets) if name_key not in p]
        if missing:
            raise BatchParameterError(f"parameter sets {missing[:10]} lack '{name_key}', which "
                                      "names the reports; pass it or use name_key=None")
        names = [str(p[name_key]) for p in param_sets]
    check_parameters(declared, param_sets, names=names, notebook=str(notebook))
    names = names or [f"{i + 1:03d}" for i in range(len(param_sets))]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise BatchParameterError(f"reports would share a name: {dupes}")
    stems = [output_stem(notebook.stem, n) for n in names]
    clashes: dict[str, list[str]] = {}
    for name, stem in zip(names, stems):
        clashes.setdefault(stem, []).append(name)
    clashes = {k: v for k, v in clashes.items() if len(v) > 1}
    if clashes:
        stem, which = next(iter(clashes.items()))
        raise BatchParameterError(
            f"reports {' and '.join(map(repr, which))} would write the same files {stem}.*; "
            "give them names that differ in letters, digits, '-' or '.'")

    cache_dir, owned = batch_cache_folder(shared_cache_dir, work, shared=scheduler is not None)
    try:
        with directory_lock(cache_dir / IN_USE):  # tells a later sweep the folder is live
            return _run_with_cache(nb, notebook, param_sets, names=names, stems=stems,
                                   declared=declared, prepared=prepared, cache_dir=cache_dir,
                                   out=out, work=work, jobs=jobs, resume=resume, formats=formats,
                                   scheduler=scheduler, data_files=data_files, name_key=name_key,
                                   isolation=isolation, kernel_name=kernel_name, timeout=timeout,
                                   cwd=cwd, title=title, note=note, reference_docx=reference_docx,
                                   forbidden_output_text=forbidden_output_text,
                                   respondent_ids=respondent_ids, warm_imports=warm_imports,
                                   progress=progress, preload=preload, t_start=t_start)
    finally:
        if owned:
            shutil.rmtree(cache_dir, ignore_errors=True)


def output_stem(notebook_stem: str, name: str) -> str:
    """File stem of a report's outputs: ``{notebook}_{name}`` with other characters as ``_``.

    Examples
    --------
    >>> output_stem("utvardering", "M1/2"), output_stem("utvardering", "M1 2")
    ('utvardering_M1_2', 'utvardering_M1_2')
    """
    return re.sub(r"[^\w.-]+", "_", f"{notebook_stem}_{name}")


def _run_with_cache(nb, notebook: Path, param_sets: list, *, names, stems, declared, prepared,
                    cache_dir: Path, out: Path, work: Path, jobs: int, resume: bool,
                    formats: tuple, scheduler, data_files, name_key, isolation: str,
                    kernel_name: str, timeout, cwd, title, note, reference_docx,
                    forbidden_output_text: tuple, respondent_ids, warm_imports, progress,
                    preload: bool, t_start: float) -> BatchResult:
    from .guard import RespondentIds, scan_folder

    data_files = list(data_files)
    ids = (RespondentIds.from_values(respondent_ids) if respondent_ids is not None
           else RespondentIds.from_data(data_files))
    guard_path = ids.save(cache_dir / "respondent-ids.json") if ids else None
    heading = next((line[2:].strip() for c in nb.cells if c.cell_type == "markdown"
                    for line in c.source.splitlines() if line.startswith("# ")), notebook.stem)
    base_fp = {"notebook": file_sha256(notebook), "data": hash_inputs(data_files),
               "formats": sorted(formats), "reference_docx": (file_sha256(reference_docx)
                                                               if reference_docx else None),
               "forbidden": sorted(forbidden_output_text), "analysis": _version(),
               "guard": ("respondent ids", len(ids.hashes))}
    tasks, results = [], {}
    for name, stem, params in zip(names, stems, param_sets):
        params = dict(params)
        if "shared_cache_dir" in declared and "shared_cache_dir" not in params:
            params["shared_cache_dir"] = str(cache_dir)
        label = _label(name, params, name_key)
        tasks.append({"name": name, "stem": stem, "params": params, "out_dir": str(out),
                      "notebook_ipynb": str(prepared), "formats": list(formats),
                      "isolation": isolation, "kernel_name": kernel_name,
                      "cwd": str(Path(cwd or Path.cwd()).resolve()), "timeout": timeout,
                      "title": f"{heading} – {label}" if label != heading else heading,
                      "reference_docx": str(reference_docx) if reference_docx else None,
                      "forbidden_output_text": list(forbidden_output_text),
                      "guard_path": str(guard_path) if guard_path else None,
                      "fingerprint": {**base_fp, "params": _fingerprint_params(
                          params, cache_dir)}})

    clean_temp_files(out)
    pending = []
    for task in tasks:
        manifest = read_manifest(item_paths(out, task["stem"])["manifest"])
        if resume and is_up_to_date(manifest, fingerprint=task["fingerprint"], out_dir=out):
            results[task["name"]] = _result_from(task, {"status": "skipped",
                                                        **manifest.get("timings", {})}, out)
        else:
            pending.append(task)
    if warm_imports is None:  # a kernel imports for itself; a forked child inherits
        warm_imports = imported_modules(nb) if isolation == "fork" else ()
    if preload and isolation == "fork" and pending and "data_dir" in declared and any(
            m == "analysis.report" or m.startswith("analysis.report.") for m in warm_imports):
        spec = {"function": PRELOAD, "params": pending[0]["params"]}
        spare = jobs - len(pending) if scheduler is None else 0
        if spare > 0:  # cores the reports leave idle: the preload may start work on them
            spec["params"] = {**spec["params"], "spare_jobs": spare}
        for task in pending:
            task["preload"] = spec
    _execute(pending, results, out=out, jobs=min(jobs, max(1, len(pending))),
             warm=sorted(set(warm_imports)), scheduler=scheduler, progress=progress,
             log_dir=work / "logs")
    items = tuple(results[n] for n in names)
    index = write_index(items, out, title=title or f"{heading} – utkast",
                        notebook=notebook.name, note=note, name_key=name_key)
    leaks = []
    if ids:  # whatever slipped past the per-report check (manifests, logs, index)
        for path in scan_folder(out, ids):
            path.unlink(missing_ok=True)
            leaks.append(str(path.relative_to(out)))
    if scheduler is not None and not isinstance(scheduler, str):
        scheduler = getattr(getattr(scheduler, "scheduler", None), "address", repr(scheduler))
    return BatchResult(items=items, out_dir=out, index_path=index,
                       duration_s=time.perf_counter() - t_start, jobs=jobs, isolation=isolation,
                       scheduler=scheduler, leaks=tuple(leaks))


def _fingerprint_params(params: dict, cache_dir: Path) -> dict:
    # the cache folder changes from batch to batch; it decides nothing a report shows
    return {k: ("<cache>" if k == "shared_cache_dir" and v == str(cache_dir) else v)
            for k, v in params.items()}


def _version() -> str:
    from .. import __version__
    return __version__


def _execute(pending: list[dict], results: dict, *, out: Path, jobs: int, warm: list[str],
             scheduler, progress: bool | None, log_dir: Path) -> None:
    if not pending:
        return
    from rich.console import Console
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                               TimeElapsedColumn, TimeRemainingColumn)

    by_name = {t["name"]: t for t in pending}
    workers: list = []
    show = sys.stderr.isatty() if progress is None else progress
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("fel: {task.fields[failed]}"), TimeElapsedColumn(),
                   TextColumn("kvar:"), TimeRemainingColumn(),
                   console=Console(stderr=True), disable=not show)
    stream = (_run_dask(pending, scheduler=scheduler, warm=warm, log_dir=log_dir)
              if scheduler is not None else
              _run_local(pending, jobs=jobs, warm=warm, log_dir=log_dir, workers=workers,
                         out=out))
    failed = 0
    try:
        with bar:
            job = bar.add_task("Rapporter", total=len(pending), failed=0)
            for res in stream:
                task = by_name[res["name"]]
                results[task["name"]] = _result_from(task, res, out)
                failed += res["status"] == "failed"
                bar.update(job, advance=1, failed=failed)
    except BaseException:
        for w in workers:  # Ctrl-C: kill running reports; finished files are complete
            w.close(kill=True)
        raise
