"""Ending a process of ours quickly: exit handlers, flushed streams, no interpreter clean-up.

Freeing every object of pandas, matplotlib and the notebook machinery takes 0.1-0.5 s after
the work is done: the `lagesbild` command (:mod:`analysis.__main__`) and a batch worker
(:mod:`analysis.batch.worker`, which its command waits for) skip it.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading

__all__ = ["exit_now"]


def exit_now(code=0) -> None:
    """Exit with ``code`` as :func:`sys.exit` would, without the interpreter's clean-up.

    The exit handlers run (logging, temporary folders, child processes) and the standard
    streams are flushed. With another (non-daemon) thread still running, this is
    :func:`sys.exit`: Python then waits for the thread as usual.

    Parameters
    ----------
    code : int, str or None
        As for :func:`sys.exit`: None is 0, a string is printed to stderr and gives 1.
    """
    me = threading.current_thread()
    if any(t is not me and not t.daemon and t.is_alive() for t in threading.enumerate()):
        sys.exit(code)  # Python waits for a running (non-daemon) thread; so must we
    if code is None:
        code = 0
    elif not isinstance(code, int):  # sys.exit("message"): printed, status 1
        print(code, file=sys.stderr)
        code = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`lagesbild ... | head`)
            pass
    os._exit(code & 0xFF)  # as the shell sees sys.exit(code)
