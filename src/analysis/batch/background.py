"""Work a warm batch worker runs beside its reports, on a core the batch leaves idle.

A batch with fewer reports than the jobs asked for leaves cores idle. The worker's preload
(:func:`analysis.report.context.preload`) may then ask for a job to run in the background,
e.g. an evaluation draft's power simulation and survey indicators
(:func:`analysis.report.context.draft_sections`),
which goes through the batch cache (:func:`analysis.cache.shared_artifact`): the draft
reads the entry, or waits on its lock while the background process computes it.

:func:`start` forks that process right after the preload, so it inherits the data the
preload read. The process resets the signals a fork inherits, closes the worker's protocol
pipes (it never writes to them; it logs to stderr, the worker log), dies with the worker
and exits with ``os._exit``. The worker reaps it (:func:`reap`, no zombies) and kills it
when the worker stops (:func:`stop`; at a normal end, on SIGTERM, and, through the
kernel's parent-death signal or a watchdog thread, when the worker dies or is killed). A
failing or killed background job leaves no cache entry (entries are written atomically):
the report then computes the value itself. Nothing here is needed for correctness.
"""

from __future__ import annotations

import atexit
import importlib
import os
import signal
import sys
import threading
import time
import traceback

__all__ = ["start", "run", "reap", "stop", "running", "TIME_LIMIT_S"]

#: A background job still running after this many seconds is ended by SIGALRM (it holds
#: the cache entry's lock while it computes; the report then computes for itself).
TIME_LIMIT_S = 300

_RUNNING: dict[int, str] = {}  # pid -> function, in the worker
_installed = False


def start(info: dict, *, close_fds=()) -> dict:
    """Start the background job a worker's preload asked for, if any.

    Parameters
    ----------
    info : dict
        The worker's ready information; ``info["preload"]["result"]["background"]`` is
        ``{"function": "module.name", "params": {...}}`` when the preload asks for one.
    close_fds : sequence of int
        The worker's protocol pipes, closed in the background process.

    Returns
    -------
    dict
        ``{"background": {"pid": int, "function": str}}`` when a job was started, else
        ``{}`` (nothing asked, or no ``os.fork``).
    """
    result = ((info or {}).get("preload") or {}).get("result")
    spec = result.get("background") if isinstance(result, dict) else None
    if not isinstance(spec, dict) or not hasattr(os, "fork"):
        return {}
    try:
        pid = run(str(spec["function"]), dict(spec.get("params") or {}), close_fds=close_fds)
    except Exception as exc:  # noqa: BLE001 - e.g. no process left to fork; reports still run
        print(f"background job {spec.get('function')} not started ({type(exc).__name__}: "
              f"{exc}); the reports compute it themselves", file=sys.stderr, flush=True)
        return {}
    return {"background": {"pid": pid, "function": str(spec["function"])}}


def run(function: str, params: dict, *, close_fds=()) -> int:
    """Fork a process that calls ``function(params)`` and exits; its pid (POSIX only)."""
    _install()
    parent = os.getpid()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the forked process (coverage does not see it)
        code = 1
        try:
            code = _in_child(function, params, close_fds, parent)
        except BaseException:  # noqa: BLE001
            pass
        finally:
            os._exit(code)
    _RUNNING[pid] = function
    return pid


def _in_child(function: str, params: dict, close_fds, parent: int) -> int:
    _RUNNING.clear()  # the worker's; this process reaps and kills nothing
    for fd in close_fds:  # the protocol pipes belong to the worker alone
        try:
            os.close(fd)
        except OSError:
            pass
    null = os.open(os.devnull, os.O_RDONLY)
    if null != 0:
        os.dup2(null, 0)
        os.close(null)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.alarm(TIME_LIMIT_S)
    _die_with(parent)
    import random
    random.seed()  # as a report child: not the worker's random stream
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed()
    t = time.perf_counter()
    try:
        module, _, name = function.rpartition(".")
        done = getattr(importlib.import_module(module), name)(dict(params))
    except BaseException as exc:  # noqa: BLE001 - the reports compute it themselves
        print(f"background {function} (pid {os.getpid()}) failed; the reports compute it "
              "themselves:\n" + "".join(traceback.format_exception(exc)[-8:]),
              file=sys.stderr, flush=True)
        return 1
    print(f"background {function} (pid {os.getpid()}) done in "
          f"{time.perf_counter() - t:.2f} s: {done}", file=sys.stderr, flush=True)
    return 0


def _die_with(parent: int) -> None:
    """End this process when the worker ``parent`` ends, however it ends."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(1, signal.SIGKILL, 0, 0, 0) == 0:  # PR_SET_PDEATHSIG
                if os.getppid() != parent:  # the worker ended before the call
                    os._exit(1)
                return
        except (OSError, AttributeError):
            pass

    def watch():  # elsewhere: look every 0.2 s
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(1)
    threading.Thread(target=watch, name="background-watchdog", daemon=True).start()


def running() -> dict[int, str]:
    """The background processes of this worker not yet reaped (pid -> function)."""
    return dict(_RUNNING)


def reap() -> None:
    """Collect the background processes that have ended (never waits)."""
    for pid in list(_RUNNING):
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done = pid
        if done:
            _RUNNING.pop(pid, None)


def stop() -> None:
    """Kill the background processes still running and collect them (the worker stops)."""
    for pid in list(_RUNNING):
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
        _RUNNING.pop(pid, None)


def _install() -> None:
    """Stop the background processes when the worker ends normally or on SIGTERM (once)."""
    global _installed
    if _installed:
        return
    _installed = True
    atexit.register(stop)
    if threading.current_thread() is not threading.main_thread():
        return  # signal handlers are the main thread's; the parent-death signal remains
    previous = signal.getsignal(signal.SIGTERM)

    def on_term(signum, frame):
        stop()
        if callable(previous):
            previous(signum, frame)
        elif previous != signal.SIG_IGN:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
    signal.signal(signal.SIGTERM, on_term)
