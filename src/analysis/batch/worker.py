"""Warm worker processes: import once, then fork a fresh child for every report.

A worker is a Python process running :func:`main` with BLAS pinned to one thread and the
matplotlib inline backend in its environment. It imports what the notebook imports (the
2-3 CPU-seconds a new kernel spends on pandas, statsmodels, seaborn ...) and then, for each
report, forks a child that runs :func:`analysis.batch.execute.execute_item` and exits. Before
the first fork it can also run a preload function (the report notebook's
:func:`analysis.report.context.preload`: the data folder and the national tables), so every
report inherits them copy-on-write instead of reading them again. The
child starts from the worker's untouched state, so nothing (pandas options, rcParams, working
directory, environment, random state, warnings filters, modules patched by a notebook) can
reach the next report. Tasks and results are JSON lines on a private pipe.
"""

from __future__ import annotations

import ast
import gc
import importlib
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
import traceback
from functools import partial
from pathlib import Path

from . import background
from .warm import warm_modules, warm_rendering

__all__ = ["WorkerProcess", "WorkerDied", "worker_environment", "BLAS_THREAD_VARIABLES",
           "prestart", "prestart_for", "claim", "close_prestarted", "script_imports"]

BLAS_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                         "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS", "BLIS_NUM_THREADS")
_ALWAYS_WARM = ("papermill", "nbformat", "nbconvert", "IPython", "matplotlib_inline",
                "analysis.batch.execute", "analysis.batch.inprocess")


class WorkerDied(RuntimeError):
    """The worker process ended without answering."""


def worker_environment(base: dict | None = None) -> dict:
    """The environment of workers and their kernels: BLAS on one thread, inline figures.

    Small model fits slowed about 100x when several processes each started a BLAS thread
    per core. MPLBACKEND is set explicitly because a parent with ``MPLBACKEND=Agg`` (pytest,
    CI, a script that called ``matplotlib.use``) would otherwise make every figure text.
    """
    env = dict(os.environ if base is None else base)
    env.update({v: "1" for v in BLAS_THREAD_VARIABLES})
    env.update({"MPLBACKEND": "module://matplotlib_inline.backend_inline",
                "PYDEVD_DISABLE_FILE_VALIDATION": "1", "JUPYTER_PLATFORM_DIRS": "1",
                "PYTHONUNBUFFERED": "1", "NBFORMAT_VALIDATOR": "fastjsonschema"})
    return env


# ---------------------------------------------------------------- inside the worker process

class _ConfigReader:
    """The worker's first line, its configuration, read from ``fd`` when it has come."""

    def __init__(self, fd: int):
        self.fd, self.data, self.rest, self.closed = fd, b"", b"", False

    def _read(self, timeout: float | None) -> dict | None:
        while b"\n" not in self.data and not self.closed:
            if not select.select([self.fd], [], [], timeout)[0]:
                return None
            chunk = os.read(self.fd, 1 << 16)
            self.closed = not chunk
            self.data += chunk
        if b"\n" not in self.data:
            return None
        line, _, self.rest = self.data.partition(b"\n")
        return json.loads(line)

    def poll(self) -> dict | None:
        """The configuration if it has come, else None at once."""
        return self._read(0)

    def wait(self) -> dict | None:
        """The configuration; None when the pipe closes before it comes."""
        return self._read(None)


def _preload(spec: dict | None) -> dict:
    """Run ``spec["function"](spec["params"])`` before forking; never fails the worker.

    A failure is written to the worker log and reported in the ready message; each report
    then meets the same problem in its own cells, with its own error.
    """
    if not spec:
        return {"preload": None}
    t = time.perf_counter()
    try:
        module, _, name = str(spec["function"]).rpartition(".")
        done = getattr(importlib.import_module(module), name)(dict(spec.get("params") or {}))
        return {"preload": {"ok": True, "seconds": time.perf_counter() - t, "result": done}}
    except BaseException as exc:  # noqa: BLE001 - reports must still run
        print(f"preload {spec.get('function')} failed; reports load for themselves:\n"
              + "".join(traceback.format_exception(exc)[-8:]), file=sys.stderr, flush=True)
        return {"preload": {"ok": False, "seconds": time.perf_counter() - t,
                            "error": f"{type(exc).__name__}: {exc}"}}


def _child(task: dict, wfd: int, inherited: list[int]) -> None:
    """In the forked child: reset what a fork inherits, run the report, send the result."""
    for fd in inherited:  # the protocol pipes belong to the worker alone
        os.close(fd)
    null = os.open(os.devnull, os.O_RDONLY)  # fd 0 itself when stdin was among those closed
    if null != 0:
        os.dup2(null, 0)
        os.close(null)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if task["isolation"] == "kernel":
        os.setpgid(0, 0)  # so a timeout kills the child and its kernel together
    import random
    random.seed()  # every child would otherwise replay the parent's random stream
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed()
    try:
        from .execute import execute_item
        result = execute_item(task)
    except BaseException as exc:  # noqa: BLE001
        result = _failure(task, f"{type(exc).__name__}: {exc}",
                          "".join(traceback.format_exception(exc)[-8:]))
    data = json.dumps(result, default=str).encode("utf-8")
    view = memoryview(data)
    while view:
        view = view[os.write(wfd, view):]
    os.close(wfd)


def _failure(task: dict, message: str, source: str | None = None) -> dict:
    return {"name": task["name"], "stem": task["stem"], "status": "failed", "error": message,
            "error_cell": None, "error_source": source}


class _Children:
    """The reports running in forked children, at most ``jobs`` at a time."""

    def __init__(self, jobs: int, keep_fds: list[int]):
        self.jobs, self.keep_fds = jobs, keep_fds
        self.running: dict[int, dict] = {}  # read fd -> {pid, task, chunks, deadline}

    def start(self, task: dict) -> None:
        rfd, wfd = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            os.close(rfd)
            code = 0
            try:
                _child(task, wfd, [*self.keep_fds, *self.running])
            except BaseException:  # noqa: BLE001
                code = 1
            finally:
                os._exit(code)
        os.close(wfd)
        if task["isolation"] == "kernel":
            try:  # set in parent and child alike, so a kill right after the fork finds the group
                os.setpgid(pid, pid)
            except (PermissionError, ProcessLookupError):
                pass
        self.running[rfd] = {"pid": pid, "task": task, "chunks": [],
                             "deadline": time.monotonic() + task["timeout"]
                             if task.get("timeout") else None}

    def kill(self, rfd: int) -> None:
        info = self.running[rfd]
        if info["task"]["isolation"] == "kernel":
            try:  # the report process and its kernel
                os.killpg(info["pid"], signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            os.kill(info["pid"], signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def kill_all(self) -> None:
        for rfd in list(self.running):
            self.kill(rfd)

    def read(self, rfd: int) -> dict | None:
        """Read what the child sent; its result once it has closed the pipe."""
        chunk = os.read(rfd, 1 << 16)
        if chunk:
            self.running[rfd]["chunks"].append(chunk)
            return None
        return self.finish(rfd, None)

    def finish(self, rfd: int, reason: str | None) -> dict:
        info = self.running.pop(rfd)
        os.close(rfd)
        _, status = os.waitpid(info["pid"], 0)
        if reason is None and info["chunks"]:
            try:
                return json.loads(b"".join(info["chunks"]))
            except ValueError:
                reason = "the report process ended while sending its result"
        if reason is None:
            sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
            reason = (f"the report process was killed by signal {sig}" if sig else
                      f"the report process exited with code {os.waitstatus_to_exitcode(status)}")
        return _failure(info["task"], reason)

    def expired(self) -> list[int]:
        now = time.monotonic()
        return [fd for fd, i in self.running.items() if i["deadline"] and now >= i["deadline"]]


def main() -> None:
    """Worker loop: config line, then task lines on stdin; result lines on the saved stdout."""
    from . import skip_iri_grammar

    skip_iri_grammar()
    proto_fd = os.dup(1)
    os.dup2(2, 1)  # anything printed by libraries goes to the worker log, not the protocol
    parent = os.getppid()
    children: _Children | None = None

    def _stop(signum, frame):
        if children is not None:
            children.kill_all()
        os._exit(128 + signum)

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the runner decides; Ctrl-C reaches it too
    stdin = 0
    # The notebook's own modules first (when the starter knew them): the preload and the
    # background job need them. Then what every batch needs, one module at a time, taking the
    # configuration as soon as it has come (a worker started early, by prestart, imports
    # while the runner is still checking the batch): the preload runs, and the background
    # job starts on the spare core, while this process goes on warming the renderer.
    t = time.perf_counter()
    early = warm_modules(sys.argv[1:])
    imported, not_imported = list(early["imported"]), list(early["not_imported"])
    reader = _ConfigReader(stdin)
    config: dict | None = None
    info: dict = {}

    def configure(got: dict) -> None:
        warmed = warm_modules(got.get("warm_imports", ()))
        imported.extend(warmed["imported"])
        not_imported.extend(warmed["not_imported"])
        info["early_s"] = time.perf_counter() - t
        info.update(_preload(got.get("preload")))
        info.update(background.start(info, close_fds=[proto_fd, stdin]))  # a draft's power

    for step in [*(partial(warm_modules, [m]) for m in _ALWAYS_WARM), warm_rendering]:
        if config is None and (config := reader.poll()) is not None:
            configure(config)
        warmed = step() or {}
        imported.extend(warmed.get("imported", ()))
        not_imported.extend(warmed.get("not_imported", ()))
    if config is None:
        config = reader.wait()
        if config is None:  # the runner closed the pipe before configuring
            return
        configure(config)
    buf = reader.rest
    info.update({"imported": imported, "not_imported": not_imported})
    # Keep the garbage collector of each child off the parent's objects: collecting them
    # would touch (and so copy) every page inherited from the fork.
    gc.collect()
    gc.freeze()

    def send(obj: dict) -> None:
        data = memoryview((json.dumps(obj, default=str) + "\n").encode("utf-8"))
        while data:
            data = data[os.write(proto_fd, data):]

    send({"ready": True, "pid": os.getpid(), "warm_s": time.perf_counter() - t, **info})
    children = _Children(int(config.get("jobs", 1)), [proto_fd, stdin])
    pending: list[dict] = []
    fork = hasattr(os, "fork")
    while True:
        background.reap()
        while b"\n" in buf:
            line, _, buf = buf.partition(b"\n")
            pending.append(json.loads(line))
        while pending and len(children.running) < children.jobs:
            task = pending.pop(0)
            if fork:
                children.start(task)
            else:  # pragma: no cover - platforms without fork
                send(_run_inline(task))
        deadlines = [i["deadline"] for i in children.running.values() if i["deadline"]]
        wait = min([1.0] + [max(0.0, d - time.monotonic()) for d in deadlines])
        ready, _, _ = select.select([stdin, *children.running], [], [], wait)
        for fd in ready:
            if fd == stdin:
                chunk = os.read(stdin, 1 << 16)
                if not chunk:  # the runner closed the pipe or is gone: stop everything
                    children.kill_all()
                    for rfd in list(children.running):
                        children.finish(rfd, "stopped")
                    return
                buf += chunk
            elif fd in children.running:
                result = children.read(fd)
                if result is not None:
                    send(result)
        for rfd in children.expired():
            task = children.running[rfd]["task"]
            children.kill(rfd)
            send(children.finish(rfd, f"timed out after {task['timeout']} s (execution and "
                                      "rendering)"))
        if os.getppid() != parent:
            children.kill_all()
            os._exit(1)


def _run_inline(task: dict) -> dict:  # pragma: no cover - platforms without fork
    from .execute import execute_item
    return execute_item({**task, "isolation": "kernel"})


# ---------------------------------------------------------------- in the runner

#: Workers started ahead of their batch (:func:`prestart`), by batch key, until claimed.
_PRESTARTED: dict[str, "WorkerProcess"] = {}


def prestart(key: str, warm_imports=()) -> None:
    """Start a worker now for a batch that begins in a moment (``key`` names the batch).

    The worker imports what every batch needs (papermill, nbconvert, IPython, matplotlib)
    and ``warm_imports`` (the notebook's modules) and warms the renderer while the caller
    goes on; the batch then claims it
    (:func:`claim`) instead of starting its own. Until then it logs to a private temporary
    file, so nothing is written where the batch will write. A worker never claimed is
    stopped when this process exits (or by :func:`close_prestarted`). Calling it again for
    the same key does nothing.
    """
    import tempfile

    if key in _PRESTARTED:
        return
    if not _PRESTARTED:
        import atexit
        atexit.register(close_prestarted)
    fd, log = tempfile.mkstemp(prefix="lagesbild-worker-", suffix=".log")  # owner-only
    os.close(fd)
    _PRESTARTED[key] = WorkerProcess(log_path=log, configure=False,
                                     early_imports=warm_imports)


def prestart_for(out_dir: str | os.PathLike, notebook: str | os.PathLike | None = None) -> None:
    """:func:`prestart` the worker of a local batch into ``out_dir`` (the key
    :func:`analysis.batch.run_batch` claims), importing ``notebook``'s modules early.

    Light on purpose: the ``lagesbild`` commands call it first, before they import pandas or
    the batch runner, so the worker's imports overlap all of the command's own work.
    """
    prestart(str(Path(out_dir).resolve()),
             script_imports(notebook) if notebook is not None else ())


def script_imports(path: str | os.PathLike) -> list[str]:
    """The modules a notebook kept as a Python script (jupytext ``py:percent``) imports, read
    without jupytext; empty when the file cannot be read or parsed as Python.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "n.py"
    >>> _ = p.write_text("# %%\\nfrom analysis.report import figures\\n%time x = 1\\n")
    >>> script_imports(p)
    ['analysis.report', 'analysis.report.figures']
    """
    try:
        return sorted(_imports_in(Path(path).read_text(encoding="utf-8"), strict=True))
    except (OSError, UnicodeError, SyntaxError):
        return []


def _imports_in(source: str, *, strict: bool = False) -> set[str]:
    src = "\n".join(line for line in source.splitlines()
                    if not line.lstrip().startswith(("%", "!")))  # magics, shell
    try:
        tree = ast.parse(src)
    except SyntaxError:
        if strict:
            raise
        return set()
    mods: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            mods.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            mods.add(node.module)
            mods.update(f"{node.module}.{a.name}" for a in node.names if a.name != "*")
    return mods


def claim(key: str, log_path: str | os.PathLike) -> "WorkerProcess | None":
    """The worker :func:`prestart` started for ``key``, if alive, now logging to ``log_path``."""
    worker = _PRESTARTED.pop(key, None)
    if worker is not None and not worker.alive:
        worker.close()
        return None
    if worker is not None:
        worker.move_log(log_path)
    return worker


def close_prestarted() -> None:
    """Stop the workers :func:`prestart` started that no batch claimed."""
    while _PRESTARTED:
        worker = _PRESTARTED.popitem()[1]
        worker.close(kill=True)
        Path(worker._log.name).unlink(missing_ok=True)


class WorkerProcess:
    """Handle on one warm worker process running up to ``jobs`` reports at a time.

    Used by the local runner (one worker, ``jobs`` children) and by Dask tasks (one worker
    per Dask thread, one child at a time).

    Parameters
    ----------
    warm_imports : sequence of str
        Modules to import before the first report.
    jobs : int
        Reports run concurrently.
    log_path : path
        The worker's stderr (kernel messages, warnings printed outside cells).
    preload : dict, optional
        ``{"function": "module.name", "params": {...}}``: called with the parameters before
        the first report is forked (e.g. :func:`analysis.report.context.preload`); its
        outcome is in ``info["preload"]``. A failing preload only costs time.
    configure : bool, default True
        False: start the process now and send ``warm_imports``, ``jobs`` and ``preload``
        later with :meth:`configure`.
    early_imports : sequence of str
        Modules the process imports as soon as it starts, before its configuration arrives.
    """

    def __init__(self, warm_imports=(), *, jobs: int = 1, log_path: str | os.PathLike,
                 startup_timeout: float = 600, preload: dict | None = None,
                 configure: bool = True, early_imports=()):
        Path(log_path).parent.mkdir(parents=True, exist_ok=True)
        self._log = open(log_path, "ab")
        self._lock = threading.Lock()
        self.proc = subprocess.Popen(
            # the runner waits for the worker to end: exit_now skips the clean-up of its imports
            [sys.executable, "-c", "from analysis.batch.worker import main; main(); "
             "from analysis.process import exit_now; exit_now(0)",
             *[str(m) for m in early_imports]],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log,
            env=worker_environment())
        self._buf = b""
        self._append_to: Path | None = None
        self.info: dict = {}
        if configure:
            self.configure(warm_imports, jobs=jobs, preload=preload,
                           startup_timeout=startup_timeout)

    def move_log(self, log_path: str | os.PathLike) -> None:
        """Let the worker's log be ``log_path`` from now on (appended to it, if it exists).

        The file is renamed when it can be (the worker keeps writing to it); across file
        systems, or onto an existing log, its text is appended to ``log_path`` when the worker
        is closed.
        """
        target = Path(log_path)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            try:
                os.replace(self._log.name, target)
                return
            except OSError:  # another file system
                pass
        self._append_to = target

    def configure(self, warm_imports=(), *, jobs: int = 1, preload: dict | None = None,
                  startup_timeout: float = 600) -> dict:
        """Tell a worker started with ``configure=False`` what to import and preload; wait
        until it is ready (its ``info``)."""
        self._send({"warm_imports": list(warm_imports), "jobs": int(jobs),
                    "preload": preload})
        self.info = self.receive(startup_timeout)
        return self.info

    def _send(self, obj: dict) -> None:
        try:
            self.proc.stdin.write((json.dumps(obj, default=str) + "\n").encode("utf-8"))
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise WorkerDied(f"worker process is gone ({exc}); see {self._log.name}") from exc

    def submit(self, task: dict) -> None:
        """Queue one report (the worker starts it when a slot is free)."""
        self._send(task)

    def receive(self, timeout: float | None = None) -> dict:
        """The next finished report's result (in completion order)."""
        fd = self.proc.stdout.fileno()
        deadline = None if timeout is None else time.monotonic() + timeout
        while b"\n" not in self._buf:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                self.close(kill=True)
                raise WorkerDied(f"worker did not answer within {timeout} s; see {self._log.name}")
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                code = self.proc.wait()
                raise WorkerDied(f"worker process ended (exit code {code}); see {self._log.name}")
            self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        return json.loads(line)

    def run(self, task: dict) -> dict:
        """Run one report and wait for it (one report at a time per handle)."""
        with self._lock:
            self.submit(task)
            return self.receive()

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self, *, kill: bool = False) -> None:
        """Stop the worker; ``kill`` also kills the reports it is running."""
        if self.proc.poll() is None:
            if kill:
                self.proc.terminate()
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for stream in (self.proc.stdout, self.proc.stdin):
            try:
                stream.close()
            except OSError:
                pass
        self._log.close()
        if self._append_to is not None:  # the log of a prestarted worker, kept with the batch's
            source = Path(self._log.name)
            with open(self._append_to, "ab") as out, open(source, "rb") as text:
                out.write(text.read())
            source.unlink(missing_ok=True)
            self._append_to = None


if __name__ == "__main__":
    main()
